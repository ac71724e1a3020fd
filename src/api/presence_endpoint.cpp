#include "api/presence_endpoint.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>

#include "api/api_json.hpp"
#include "gateways/client/sio_server.hpp"

namespace sb::api {

namespace json = boost::json;

// How many nodes a snapshot covers: this one and the live others.
static size_t node_count(const PresenceSnapshot& s) {
  return 1 + s.remote.size();
}

json::object presence_users(const PresenceSnapshot& s, const std::optional<std::string>& nsp) {
  std::map<std::string, size_t> users;  // sorted: stable answers
  size_t sockets = 0;
  for (auto& i : s.sockets) {
    if (nsp && i.nsp != *nsp) continue;
    ++sockets;
    if (!i.user.empty()) ++users[i.user];
  }
  for (auto& h : s.remote)
    for (auto& n : h.namespaces) {
      if (nsp && n.nsp != *nsp) continue;
      sockets += n.sockets;
      for (auto& [u, c] : n.users) users[u] += c;
    }
  json::array list;
  for (auto& [u, n] : users) list.push_back(json::object{{"user", u}, {"connections", n}});
  return json::object{{"users", std::move(list)},
                      {"total_users", users.size()},
                      {"total_sockets", sockets},
                      {"nodes", node_count(s)}};
}

json::object presence_stats(const PresenceSnapshot& s) {
  struct Count {
    std::set<std::string> users;
    size_t sockets = 0;
  };
  std::map<std::string, Count> per_nsp;
  std::set<std::string> users;
  size_t anonymous = 0, sockets = 0;
  for (auto& i : s.sockets) {
    auto& c = per_nsp[i.nsp];
    ++c.sockets;
    ++sockets;
    if (i.user.empty()) {
      ++anonymous;
    } else {
      c.users.insert(i.user);
      users.insert(i.user);
    }
  }
  for (auto& h : s.remote)
    for (auto& n : h.namespaces) {
      auto& c = per_nsp[n.nsp];
      c.sockets += n.sockets;
      sockets += n.sockets;
      anonymous += n.anonymous;
      for (auto& [u, k] : n.users) {
        c.users.insert(u);
        users.insert(u);
      }
    }
  json::object nsps;
  for (auto& [name, c] : per_nsp)
    nsps[name] = json::object{{"users", c.users.size()}, {"sockets", c.sockets}};
  return json::object{{"users", users.size()},
                      {"sockets", sockets},
                      {"anonymous", anonymous},
                      {"namespaces", std::move(nsps)},
                      {"nodes", node_count(s)}};
}

std::optional<json::object> presence_user(const PresenceSnapshot& s, std::string_view user) {
  json::array sockets;
  std::map<std::string, size_t> per_node;
  size_t connections = 0;
  for (auto& i : s.sockets) {
    if (i.user != user) continue;
    json::array rooms;
    for (auto& r : i.rooms)
      if (r != i.id) rooms.push_back(json::string(r));
    json::object o{{"id", i.id}, {"namespace", i.nsp}, {"rooms", std::move(rooms)}};
    if (!i.node.empty()) {
      o["node"] = i.node;
      ++per_node[i.node];
    }
    sockets.push_back(std::move(o));
    ++connections;
  }
  // The other nodes report counts, not socket ids.
  for (auto& h : s.remote)
    for (auto& n : h.namespaces)
      if (auto it = n.users.find(std::string(user)); it != n.users.end()) {
        per_node[h.uid] += it->second;
        connections += it->second;
      }
  if (connections == 0) return std::nullopt;
  json::object out{{"user", user}, {"connections", connections}, {"sockets", std::move(sockets)}};
  if (!s.node.empty()) {
    json::array nodes;
    for (auto& [node, n] : per_node)
      nodes.push_back(json::object{{"node", node}, {"connections", n}});
    out["nodes"] = std::move(nodes);
  }
  return out;
}

json::object room_counts(const RoomsResult& r, const std::string& nsp) {
  std::vector<std::pair<std::string, uint64_t>> sorted(r.rooms.begin(), r.rooms.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto& a, auto& b) { return a.second > b.second; });
  json::array list;
  for (auto& [room, n] : sorted) list.push_back(json::object{{"room", room}, {"members", n}});
  json::object out{{"namespace", nsp},
                   {"rooms", std::move(list)},
                   {"total", sorted.size()},
                   {"nodes", r.nodes},
                   {"nodes_expected", r.expected}};
  if (!r.truncated.empty()) {
    json::array nodes;
    for (auto& t : r.truncated) nodes.push_back(json::string(t.node));
    out["partial"] = true;
    out["truncated"] = std::move(nodes);
  }
  return out;
}

json::object room_sockets(const SocketsResult& r, const std::string& nsp, const std::string& room) {
  json::array list;
  for (auto& i : r.sockets) {
    json::array rooms;
    for (auto& x : i.rooms)
      if (x != i.id) rooms.push_back(json::string(x));
    json::object o{{"id", i.id},
                   {"user", i.user.empty() ? json::value(nullptr) : json::value(i.user)},
                   {"rooms", std::move(rooms)}};
    if (!i.node.empty()) o["node"] = i.node;
    list.push_back(std::move(o));
  }
  const size_t n = list.size();
  json::object out{{"namespace", nsp}, {"room", room},     {"sockets", std::move(list)},
                   {"total", n},       {"nodes", r.nodes}, {"nodes_expected", r.expected}};
  if (!r.truncated.empty()) {
    // Said, not hidden: the list is incomplete.
    json::array nodes;
    for (auto& t : r.truncated)
      nodes.push_back(json::object{{"node", t.node}, {"sockets", t.total}});
    out["partial"] = true;
    out["error"] = "answer_too_large";
    out["truncated"] = std::move(nodes);
  }
  return out;
}

// ?namespace= must name a declared namespace; `out` stays empty without the parameter.
static std::optional<net::HttpResponse> namespace_param(const net::HttpRequest& req,
                                                        sio::SioServer& server,
                                                        std::optional<std::string>& out) {
  if (!req.has_query_param("namespace")) return std::nullopt;
  out = normalize_namespace(req.query_param("namespace"));
  if (!server.find_namespace(*out))
    return net::api_error(404, "unknown_namespace", "no namespace \"" + *out + "\"");
  return std::nullopt;
}

static void handle_disconnect(const net::HttpRequest& req, Presence& presence,
                              sio::SioServer& server, Respond respond) {
  if (req.method != "POST") return respond(net::api_error(405, "method_not_allowed", "use POST"));
  net::HttpResponse err;
  auto body = parse_json_object(req.body, err);
  if (!body) return respond(std::move(err));
  auto& o = *body;
  std::string user;
  if (auto* u = o.if_contains("user")) {
    if (u->is_string())
      user = std::string(u->as_string());
    else if (u->is_int64() || u->is_uint64())
      user = json::serialize(*u);
  }
  if (user.empty())
    return respond(
        net::api_error(400, "invalid_request", "\"user\" must be a non-empty string or integer"));
  std::optional<std::string> nsp;
  if (auto* v = o.if_contains("namespace")) {
    if (!v->is_string())
      return respond(net::api_error(400, "invalid_request", "\"namespace\" must be a string"));
    nsp = normalize_namespace(v->as_string());
    if (!server.find_namespace(*nsp))
      return respond(net::api_error(404, "unknown_namespace", "no namespace \"" + *nsp + "\""));
  }
  bool close = false;
  if (auto* v = o.if_contains("close")) {
    if (!v->is_bool())
      return respond(net::api_error(400, "invalid_request", "\"close\" must be true or false"));
    close = v->as_bool();
  }
  presence.disconnect_user(user, nsp, close, [respond = std::move(respond), user](size_t n) {
    if (n == 0)
      return respond(net::api_error(404, "unknown_user", "user \"" + user + "\" has no socket"));
    respond(json_response(json::object{{"ok", true}, {"disconnected", n}}));
  });
}

void handle_presence(const net::HttpRequest& req, std::string_view path, Presence& presence,
                     sio::SioServer& server, Respond respond) {
  if (path == "disconnect") return handle_disconnect(req, presence, server, std::move(respond));
  if (req.method != "GET") return respond(net::api_error(405, "method_not_allowed", "use GET"));
  std::optional<std::string> nsp;
  if (auto e = namespace_param(req, server, nsp)) return respond(std::move(*e));
  if (path == "rooms") {
    const std::string name = nsp.value_or("/");
    return presence.rooms(name, [respond = std::move(respond), name](RoomsResult r) {
      respond(json_response(room_counts(r, name)));
    });
  }
  if (path.rfind("rooms/", 0) == 0) {
    // rooms/<room>/sockets; the room is percent-decoded with the path (%2F for '/').
    constexpr std::string_view tail = "/sockets";
    std::string_view rest = path.substr(6);
    if (rest.size() <= tail.size() || rest.substr(rest.size() - tail.size()) != tail)
      return respond(net::api_error(404, "not_found", "expected /api/rooms/<room>/sockets"));
    std::string room(rest.substr(0, rest.size() - tail.size()));
    if (room.size() > 256)
      return respond(net::api_error(400, "invalid_room", "a room name is at most 256 bytes"));
    const std::string name = nsp.value_or("/");
    return presence.sockets(name, {room},
                            [respond = std::move(respond), name, room](SocketsResult r) {
                              respond(json_response(room_sockets(r, name, room)));
                            });
  }
  if (path == "presence") {
    return presence.snapshot([respond = std::move(respond), nsp](PresenceSnapshot s) {
      respond(json_response(presence_users(s, nsp)));
    });
  }
  if (path == "presence/stats") {
    return presence.snapshot([respond = std::move(respond)](PresenceSnapshot s) {
      respond(json_response(presence_stats(s)));
    });
  }
  std::string user(path.substr(std::string_view("presence/").size()));
  if (user.empty() || user.size() > 256 || user.find('/') != std::string::npos)
    return respond(net::api_error(400, "invalid_user", "expected /api/presence/<user id>"));
  presence.snapshot([respond = std::move(respond), user](PresenceSnapshot s) {
    auto o = presence_user(s, user);
    if (!o)
      return respond(net::api_error(404, "unknown_user", "user \"" + user + "\" is not online"));
    respond(json_response(*o));
  });
}

}  // namespace sb::api
