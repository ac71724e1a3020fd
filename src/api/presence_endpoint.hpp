#pragma once
// Presence over HTTP (this node, or the cluster: see presence.hpp):
//   GET  /api/presence[?namespace=/]
//        -> {users: [{user, connections}], total_users, total_sockets, nodes}
//   GET  /api/presence/stats
//        -> {users, sockets, anonymous, namespaces: {"/": {users, sockets}}, nodes}
//   GET  /api/presence/<user>
//        -> {user, connections, sockets: [{id, namespace, rooms, node?}], nodes?}; 404
//   GET  /api/rooms[?namespace=/]
//        -> {namespace, rooms: [{room, members}], total, nodes, nodes_expected}
//   GET  /api/rooms/<room>/sockets[?namespace=/]
//        -> {namespace, room, sockets: [{id, user, rooms, node?}], total, nodes, nodes_expected}
//   POST /api/disconnect {user, namespace?, close?} -> {ok, disconnected}; 404 unknown_user
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/emit_endpoint.hpp"
#include "api/presence.hpp"

namespace sb::api {

// The pure parts (unit tested): answers built from a snapshot.
boost::json::object presence_users(const PresenceSnapshot& s,
                                   const std::optional<std::string>& nsp);
boost::json::object presence_stats(const PresenceSnapshot& s);
// Null when `user` has no socket.
std::optional<boost::json::object> presence_user(const PresenceSnapshot& s, std::string_view user);
// Rooms of `nsp` with member counts, largest first; a socket's own id is not listed.
// `partial` (and `truncated`: the nodes) when a node left its smallest rooms out.
boost::json::object room_counts(const RoomsResult& r, const std::string& nsp);
// The sockets of one room: {namespace, room, sockets: [{id, user, rooms, node}], total, nodes};
// when a node's answer could not hold all its sockets: `partial`, `error`
// "answer_too_large" and `truncated` [{node, sockets: how many it had}].
boost::json::object room_sockets(const SocketsResult& r, const std::string& nsp,
                                 const std::string& room);

// `path` is what follows "/api/": "presence", "presence/stats", "presence/<user>", "rooms",
// "rooms/<room>/sockets", "disconnect".
void handle_presence(const net::HttpRequest& req, std::string_view path, Presence& presence,
                     sio::SioServer& server, Respond respond);

}  // namespace sb::api
