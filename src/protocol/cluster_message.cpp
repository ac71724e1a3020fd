#include "protocol/cluster_message.hpp"

#include <boost/json/serialize.hpp>

#include "protocol/socketio_packet.hpp"

namespace sb::cluster {

namespace json = boost::json;

namespace {

constexpr size_t kMaxDepth = 32;

bool parse(std::string_view bytes, const Limits& limits, json::object*& out, json::value& holder) {
  if (bytes.empty() || bytes.size() > limits.max_bytes || bytes[0] != '{') return false;
  if (!sio::parse_json(bytes, kMaxDepth, holder) || !holder.is_object()) return false;
  out = &holder.as_object();
  return true;
}

std::optional<std::string> string_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<uint64_t> count_of(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return std::nullopt;
}

// A missing key is an empty list; anything but an array of strings is not.
bool strings(const json::value* v, std::vector<std::string>& out, size_t max) {
  if (!v) return true;
  if (!v->is_array() || v->as_array().size() > max) return false;
  for (auto& x : v->as_array()) {
    if (x.is_string())
      out.emplace_back(x.as_string());
    else if (x.is_number())  // the adapter allows numeric rooms
      out.push_back(json::serialize(x));
    else
      return false;
  }
  return true;
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (auto& s : v) a.emplace_back(json::string(s));
  return a;
}

}  // namespace

std::string encode_heartbeat(const Heartbeat& h) {
  json::array nsps;
  for (auto& n : h.namespaces) {
    json::object users;
    for (auto& [u, c] : n.users) users[u] = c;
    nsps.push_back(json::object{{"nsp", n.nsp},
                                {"sockets", n.sockets},
                                {"anonymous", n.anonymous},
                                {"users", std::move(users)}});
  }
  return json::serialize(json::object{{"uid", h.uid},
                                      {"type", h.bye ? "bye" : "heartbeat"},
                                      {"seq", h.seq},
                                      {"namespaces", std::move(nsps)}});
}

bool decode_heartbeat(std::string_view bytes, Heartbeat& out, const Limits& limits) {
  json::value holder;
  json::object* o = nullptr;
  if (!parse(bytes, limits, o, holder)) return false;
  Heartbeat h;
  auto uid = string_of(*o, "uid");
  auto type = string_of(*o, "type");
  auto seq = count_of(o->if_contains("seq"));
  if (!uid || uid->empty() || !type || !seq) return false;
  if (*type == "bye")
    h.bye = true;
  else if (*type != "heartbeat")
    return false;
  h.uid = std::move(*uid);
  h.seq = *seq;
  auto* nsps = o->if_contains("namespaces");
  if (!nsps || !nsps->is_array() || nsps->as_array().size() > limits.max_items) return false;
  size_t items = 0;
  for (auto& nv : nsps->as_array()) {
    if (!nv.is_object()) return false;
    auto& no = nv.as_object();
    NamespaceCount n;
    auto name = string_of(no, "nsp");
    auto sockets = count_of(no.if_contains("sockets"));
    auto anonymous = count_of(no.if_contains("anonymous"));
    auto* users = no.if_contains("users");
    if (!name || !sockets || !anonymous || !users || !users->is_object()) return false;
    n.nsp = std::move(*name);
    n.sockets = *sockets;
    n.anonymous = *anonymous;
    items += users->as_object().size();
    if (items > limits.max_items) return false;
    for (auto& [u, c] : users->as_object()) {
      auto conns = count_of(&c);
      if (!conns || u.empty()) return false;
      n.users[std::string(u)] += *conns;
    }
    h.namespaces.push_back(std::move(n));
  }
  out = std::move(h);
  return true;
}

std::string encode_request(const Request& r) {
  json::object o{{"uid", r.uid}, {"requestId", r.request_id}, {"type", static_cast<int>(r.kind)}};
  if (r.kind == RequestKind::fetch_sockets)
    o["opts"] = json::object{{"rooms", string_array(r.rooms)}, {"except", string_array(r.except)}};
  if (r.kind == RequestKind::server_side_emit) o["data"] = r.data;
  return sio::to_json(o);  // as JavaScript writes it: a non-finite number is null
}

bool decode_request(std::string_view bytes, Request& out, const Limits& limits) {
  json::value holder;
  json::object* o = nullptr;
  if (!parse(bytes, limits, o, holder)) return false;
  auto id = string_of(*o, "requestId");
  auto* type = o->if_contains("type");
  if (!id || id->empty() || !type || !type->is_number()) return false;
  const double t = type->to_number<double>();
  Request r;
  r.request_id = std::move(*id);
  r.uid = string_of(*o, "uid").value_or("");
  if (t == 5) {
    r.kind = RequestKind::fetch_sockets;
    if (auto* opts = o->if_contains("opts")) {
      if (!opts->is_object()) return false;
      if (!strings(opts->as_object().if_contains("rooms"), r.rooms, limits.max_items) ||
          !strings(opts->as_object().if_contains("except"), r.except, limits.max_items))
        return false;
    }
  } else if (t == 1) {
    r.kind = RequestKind::all_rooms;
  } else if (t == 6) {
    r.kind = RequestKind::server_side_emit;
    auto* data = o->if_contains("data");
    if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_string())
      return false;
    r.data = data->as_array();
  } else {
    return false;
  }
  out = std::move(r);
  return true;
}

std::string encode_sockets_response(std::string_view request_id, std::string_view node,
                                    const std::vector<SocketInfo>& sockets) {
  json::array list;
  list.reserve(sockets.size());
  for (auto& s : sockets) {
    json::object data{{"node", node}};
    data["user"] = s.user.empty() ? json::value(nullptr) : json::value(json::string(s.user));
    list.push_back(json::object{{"id", s.id},
                                {"handshake", json::object{}},
                                {"rooms", string_array(s.rooms)},
                                {"data", std::move(data)}});
  }
  return json::serialize(
      json::object{{"requestId", request_id}, {"node", node}, {"sockets", std::move(list)}});
}

std::string encode_rooms_response(std::string_view request_id, std::string_view node,
                                  const std::vector<std::string>& rooms) {
  return json::serialize(
      json::object{{"requestId", request_id}, {"node", node}, {"rooms", string_array(rooms)}});
}

std::string encode_emit_response(std::string_view request_id, std::string_view node,
                                 const json::value& answer) {
  return sio::to_json(
      json::object{{"type", 6}, {"requestId", request_id}, {"node", node}, {"data", answer}});
}

bool decode_response(std::string_view bytes, Response& out, const Limits& limits) {
  json::value holder;
  json::object* o = nullptr;
  if (!parse(bytes, limits, o, holder)) return false;
  auto id = string_of(*o, "requestId");
  if (!id || id->empty()) return false;
  Response r;
  r.request_id = std::move(*id);
  r.node = string_of(*o, "node").value_or("");
  if (auto* s = o->if_contains("sockets")) {
    if (!s->is_array() || s->as_array().size() > limits.max_items) return false;
    std::vector<SocketInfo> list;
    for (auto& sv : s->as_array()) {
      if (!sv.is_object()) return false;
      auto& so = sv.as_object();
      SocketInfo rs;
      auto sid = string_of(so, "id");
      if (!sid) return false;
      rs.id = std::move(*sid);
      if (!strings(so.if_contains("rooms"), rs.rooms, limits.max_items)) return false;
      if (auto* d = so.if_contains("data"); d && d->is_object()) {
        auto& dobj = d->as_object();
        rs.user = string_of(dobj, "user").value_or("");
        rs.node = string_of(dobj, "node").value_or("");
      }
      list.push_back(std::move(rs));
    }
    r.sockets = std::move(list);
  }
  if (auto* rooms = o->if_contains("rooms")) {
    std::vector<std::string> list;
    if (!strings(rooms, list, limits.max_items)) return false;
    r.rooms = std::move(list);
  }
  if (auto* d = o->if_contains("data")) r.data = *d;
  out = std::move(r);
  return true;
}

}  // namespace sb::cluster
