#pragma once
// What cluster nodes tell each other beyond broadcasts (emitter_message.hpp):
// presence heartbeats, and the Socket.IO Redis adapter's requests that want
// answers (fetchSockets, allRooms, serverSideEmit with acks) and their
// responses. Pure codec, JSON text, bounded; see
// shared/reference/socketio-protocol.md part C and src/gateways/inter_service/README.md.
//
// Heartbeat (ours; `<prefix>-presence#` on Redis, `<prefix>.presence` on NATS):
//   {"uid":"..","type":"heartbeat"|"bye","seq":n,"namespaces":[
//      {"nsp":"/","sockets":n,"anonymous":n,"users":{"<user>":<connections>,..}},..]}
// Requests (the adapter's JSON, on the request channel):
//   {"uid","requestId","type":5,"opts":{"rooms":[..],"except":[..]}}   fetchSockets
//   {"uid","requestId","type":1}                                       allRooms
//   {"uid","requestId","type":6,"data":[event,...args]}                serverSideEmit + ack
// Responses (the adapter's JSON, on the response channel; `node` is ours, extra):
//   {"requestId","sockets":[{"id","handshake":{},"rooms":[..],"data":{"user","node"}}]}
//   {"requestId","rooms":[..]}
//   {"type":6,"requestId","data":<answer>}
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::cluster {

struct NamespaceCount {
  std::string nsp = "/";
  uint64_t sockets = 0;
  uint64_t anonymous = 0;
  std::map<std::string, uint64_t> users;  // user id -> connections
};

struct Heartbeat {
  std::string uid;
  bool bye = false;  // the node is leaving: drop it now
  uint64_t seq = 0;
  std::vector<NamespaceCount> namespaces;
};

struct Limits {
  size_t max_bytes = 4 << 20;
  size_t max_items = 200000;  // namespaces, users, sockets or rooms in one message
};

std::string encode_heartbeat(const Heartbeat& h);
// False (and `out` untouched) on anything that is not a well-formed heartbeat.
bool decode_heartbeat(std::string_view bytes, Heartbeat& out, const Limits& limits = {});

enum class RequestKind { fetch_sockets = 5, all_rooms = 1, server_side_emit = 6 };

struct Request {
  RequestKind kind = RequestKind::fetch_sockets;
  std::string uid;
  std::string request_id;
  std::vector<std::string> rooms;   // fetch: opts.rooms (empty: every socket)
  std::vector<std::string> except;  // fetch: opts.except
  boost::json::array data;          // server-side emit: [event, ...args]
};

std::string encode_request(const Request& r);
// Only requests with a requestId of the three kinds above; false otherwise
// (join/leave/disconnect and plain serverSideEmit are emitter_message's).
bool decode_request(std::string_view bytes, Request& out, const Limits& limits = {});

struct SocketInfo {
  std::string id;
  std::string nsp;
  std::string user;  // data.user; empty when not ours or anonymous
  std::string node;  // data.node; empty for a Node.js server's socket
  std::vector<std::string> rooms;
};

struct Response {
  std::string request_id;
  std::string node;  // ours only
  std::optional<std::vector<SocketInfo>> sockets;
  std::optional<std::vector<std::string>> rooms;
  std::optional<boost::json::value> data;  // server-side emit answer
};

std::string encode_sockets_response(std::string_view request_id, std::string_view node,
                                    const std::vector<SocketInfo>& sockets);
std::string encode_rooms_response(std::string_view request_id, std::string_view node,
                                  const std::vector<std::string>& rooms);
std::string encode_emit_response(std::string_view request_id, std::string_view node,
                                 const boost::json::value& answer);
bool decode_response(std::string_view bytes, Response& out, const Limits& limits = {});

}  // namespace sb::cluster
