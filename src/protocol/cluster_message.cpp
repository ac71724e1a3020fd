#include "protocol/cluster_message.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "protocol/socketio_packet.hpp"

namespace sb::cluster {

namespace json = boost::json;

namespace {

constexpr size_t kMaxDepth = 32;
constexpr std::string_view kRoomCountsType = "sb:room_counts";

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
                                      {"chunk", h.chunk},
                                      {"chunks", h.chunks},
                                      {"namespaces", std::move(nsps)}});
}

std::vector<Heartbeat> split_heartbeat(const Heartbeat& h, size_t max_users, size_t max_bytes) {
  if (max_users == 0) max_users = 1;
  // A user costs its id, quotes, colon, count and comma; JSON escapes may
  // make the id longer, so count it twice when it holds bytes that need them.
  auto cost = [](const std::string& u) {
    bool plain = true;
    for (unsigned char c : u)
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) plain = false;
    return (plain ? u.size() : 6 * u.size()) + 24;
  };
  std::vector<Heartbeat> out;
  auto fresh = [&h, &out]() -> Heartbeat& {
    Heartbeat c;
    c.uid = h.uid;
    c.seq = h.seq;
    out.push_back(std::move(c));
    return out.back();
  };
  Heartbeat* cur = &fresh();
  for (auto& n : h.namespaces) {
    NamespaceCount head;
    head.nsp = n.nsp;
    head.sockets = n.sockets;
    head.anonymous = n.anonymous;
    out.front().namespaces.push_back(std::move(head));
  }
  size_t users = 0, bytes = 0;
  for (auto& n : h.namespaces) {
    NamespaceCount* part = nullptr;
    for (auto& [u, c] : n.users) {
      const size_t b = cost(u);
      if (users > 0 && (users + 1 > max_users || bytes + b > max_bytes)) {
        cur = &fresh();
        users = bytes = 0;
        part = nullptr;
      }
      if (!part) {
        // Chunk 0 already lists the namespace (with its counts).
        if (cur == &out.front() && !cur->namespaces.empty()) {
          for (auto& x : cur->namespaces)
            if (x.nsp == n.nsp) part = &x;
        }
        if (!part) {
          NamespaceCount nc;
          nc.nsp = n.nsp;
          cur->namespaces.push_back(std::move(nc));
          part = &cur->namespaces.back();
        }
      }
      part->users.emplace(u, c);
      ++users;
      bytes += b;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].chunk = static_cast<uint32_t>(i);
    out[i].chunks = static_cast<uint32_t>(out.size());
  }
  return out;
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
  // Absent: a whole snapshot in one message.
  if (o->contains("chunk") || o->contains("chunks")) {
    auto chunk = count_of(o->if_contains("chunk"));
    auto chunks = count_of(o->if_contains("chunks"));
    if (!chunk || !chunks || *chunks == 0 || *chunks > kMaxHeartbeatChunks || *chunk >= *chunks)
      return false;
    h.chunk = static_cast<uint32_t>(*chunk);
    h.chunks = static_cast<uint32_t>(*chunks);
  }
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
  json::object o{{"uid", r.uid}, {"requestId", r.request_id}};
  if (r.kind == RequestKind::room_counts)
    o["type"] = kRoomCountsType;
  else
    o["type"] = static_cast<int>(r.kind);
  if (r.kind == RequestKind::all_sockets) o["rooms"] = string_array(r.rooms);
  if (r.kind == RequestKind::fetch_sockets)
    o["opts"] = json::object{{"rooms", string_array(r.rooms)}, {"except", string_array(r.except)}};
  if (r.kind == RequestKind::server_side_emit) o["data"] = r.data;
  if (r.kind == RequestKind::remote_join || r.kind == RequestKind::remote_leave ||
      r.kind == RequestKind::remote_disconnect)
    o["sid"] = r.sid;
  if (r.kind == RequestKind::remote_join || r.kind == RequestKind::remote_leave)
    o["room"] = r.targets.size() == 1 ? json::value(json::string(r.targets[0]))
                                      : json::value(string_array(r.targets));
  if (r.kind == RequestKind::remote_disconnect) o["close"] = r.close;
  return sio::to_json(o);  // as JavaScript writes it: a non-finite number is null
}

bool decode_request(std::string_view bytes, Request& out, const Limits& limits) {
  json::value holder;
  json::object* o = nullptr;
  if (!parse(bytes, limits, o, holder)) return false;
  auto id = string_of(*o, "requestId");
  auto* type = o->if_contains("type");
  if (!id || id->empty() || !type) return false;
  Request r;
  r.request_id = std::move(*id);
  r.uid = string_of(*o, "uid").value_or("");
  if (type->is_string()) {
    if (type->as_string() != kRoomCountsType) return false;
    r.kind = RequestKind::room_counts;
    out = std::move(r);
    return true;
  }
  if (!type->is_number()) return false;
  const double t = type->to_number<double>();
  if (t == 5) {
    r.kind = RequestKind::fetch_sockets;
    if (auto* opts = o->if_contains("opts")) {
      if (!opts->is_object()) return false;
      if (!strings(opts->as_object().if_contains("rooms"), r.rooms, limits.max_items) ||
          !strings(opts->as_object().if_contains("except"), r.except, limits.max_items))
        return false;
    }
  } else if (t == 0) {
    r.kind = RequestKind::all_sockets;
    if (!strings(o->if_contains("rooms"), r.rooms, limits.max_items)) return false;
  } else if (t == 1) {
    r.kind = RequestKind::all_rooms;
  } else if (t == 2 || t == 3 || t == 4) {
    // With `opts` it is a socketsJoin/.. of a room (emitter_message's).
    if (o->contains("opts")) return false;
    auto sid = string_of(*o, "sid");
    if (!sid || sid->empty()) return false;
    r.sid = std::move(*sid);
    if (t == 4) {
      r.kind = RequestKind::remote_disconnect;
      auto* close = o->if_contains("close");
      if (close && !close->is_bool()) return false;
      r.close = close && close->as_bool();
    } else {
      r.kind = t == 2 ? RequestKind::remote_join : RequestKind::remote_leave;
      auto* room = o->if_contains("room");
      if (!room) return false;
      if (room->is_string())
        r.targets.emplace_back(room->as_string());
      else if (!strings(room, r.targets, limits.max_items))
        return false;
      if (r.targets.empty()) return false;
      for (auto& x : r.targets)
        if (x.empty()) return false;
    }
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
                                    const std::vector<SocketInfo>& sockets, size_t max_bytes) {
  json::array list;
  list.reserve(sockets.size());
  // Room for the envelope (request id, node, the truncation note).
  size_t bytes = 128 + 2 * (request_id.size() + node.size());
  bool truncated = false;
  for (auto& s : sockets) {
    json::object data{{"node", node}};
    data["user"] = s.user.empty() ? json::value(nullptr) : json::value(json::string(s.user));
    json::value one = json::object{{"id", s.id},
                                   {"handshake", json::object{}},
                                   {"rooms", string_array(s.rooms)},
                                   {"data", std::move(data)}};
    if (max_bytes) {
      const size_t b = json::serialize(one).size() + 1;
      if (bytes + b > max_bytes) {
        truncated = true;
        break;
      }
      bytes += b;
    }
    list.push_back(std::move(one));
  }
  json::object o{{"requestId", request_id}, {"node", node}, {"sockets", std::move(list)}};
  if (truncated) {
    o["truncated"] = true;
    o["total"] = sockets.size();
  }
  return json::serialize(o);
}

std::string encode_room_counts_response(std::string_view request_id, std::string_view node,
                                        const std::map<std::string, uint64_t>& counts,
                                        size_t max_bytes) {
  // The biggest rooms first, so a cut leaves out the smallest.
  std::vector<std::pair<const std::string*, uint64_t>> order;
  order.reserve(counts.size());
  for (auto& [room, n] : counts) order.emplace_back(&room, n);
  std::stable_sort(order.begin(), order.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  json::object rooms;
  size_t bytes = 128 + 2 * (request_id.size() + node.size());
  bool truncated = false;
  for (auto& [room, n] : order) {
    if (max_bytes) {
      const size_t b = json::serialize(json::string(*room)).size() + 24;
      if (bytes + b > max_bytes) {
        truncated = true;
        break;
      }
      bytes += b;
    }
    rooms[*room] = n;
  }
  return json::serialize(json::object{{"requestId", request_id},
                                      {"node", node},
                                      {"roomCounts", std::move(rooms)},
                                      {"truncated", truncated}});
}

std::string encode_socket_ids_response(std::string_view request_id, std::string_view node,
                                       const std::vector<std::string>& ids) {
  return json::serialize(
      json::object{{"requestId", request_id}, {"node", node}, {"sockets", string_array(ids)}});
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

std::string encode_done_response(std::string_view request_id) {
  return json::serialize(json::object{{"requestId", request_id}});
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
      if (sv.is_string()) {  // an allSockets answer: ids only
        SocketInfo rs;
        rs.id = std::string(sv.as_string());
        list.push_back(std::move(rs));
        continue;
      }
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
  if (auto* rc = o->if_contains("roomCounts")) {
    if (!rc->is_object() || rc->as_object().size() > limits.max_items) return false;
    std::map<std::string, uint64_t> counts;
    for (auto& [room, n] : rc->as_object()) {
      auto c = count_of(&n);
      if (!c) return false;
      counts[std::string(room)] = *c;
    }
    r.room_counts = std::move(counts);
  }
  if (auto* t = o->if_contains("truncated"); t && t->is_bool()) r.truncated = t->as_bool();
  if (auto t = count_of(o->if_contains("total"))) r.total = *t;
  out = std::move(r);
  return true;
}

}  // namespace sb::cluster
