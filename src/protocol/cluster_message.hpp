#pragma once
// What cluster nodes tell each other beyond broadcasts (emitter_message.hpp):
// presence heartbeats, and the Socket.IO Redis adapter's requests that want
// answers (fetchSockets, allRooms, serverSideEmit with acks) and their
// responses. Pure codec, JSON text, bounded; see
// shared/reference/socketio-protocol.md part C and src/gateways/inter_service/README.md.
//
// Heartbeat (ours; `<prefix>-presence#` on Redis, `<prefix>.presence` on NATS):
//   {"uid":"..","type":"heartbeat"|"bye","seq":n,"chunk":i,"chunks":n,"namespaces":[
//      {"nsp":"/","sockets":n,"anonymous":n,"users":{"<user>":<connections>,..}},..]}
//   One snapshot (generation `seq`) is `chunks` messages (chunk 0..chunks-1),
//   each with some of the users; counts add up across the chunks. Without
//   `chunk`/`chunks` a heartbeat is the whole snapshot (chunk 0 of 1).
// Requests (the adapter's JSON, on the request channel):
//   {"uid","requestId","type":5,"opts":{"rooms":[..],"except":[..]}}   fetchSockets
//   {"uid","requestId","type":0,"rooms":[..]}                          allSockets (Node.js peers)
//   {"uid","requestId","type":1}                                       allRooms
//   {"uid","requestId","type":6,"data":[event,...args]}                serverSideEmit + ack
//   {"uid","requestId","type":"sb:room_counts"}                        room counts (ours)
// Responses (the adapter's JSON, on the response channel; `node` is ours, extra):
//   {"requestId","sockets":[{"id","handshake":{},"rooms":[..],"data":{"user","node"}}]}
//      plus ours when not every socket fit: "truncated":true,"total":<matching sockets>
//   {"requestId","node","roomCounts":{"<room>":n,..},"truncated":bool}   (ours)
//   {"requestId","rooms":[..]}
//   {"requestId","sockets":["<id>",..]}                                allSockets
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
  uint64_t seq = 0;  // the snapshot's generation: every chunk of it has the same
  uint32_t chunk = 0;
  uint32_t chunks = 1;
  std::vector<NamespaceCount> namespaces;
};

// At most this many chunks in one snapshot (bad input beyond).
constexpr uint32_t kMaxHeartbeatChunks = 65536;

struct Limits {
  size_t max_bytes = 4 << 20;
  size_t max_items = 200000;  // namespaces, users, sockets or rooms in one message
};

std::string encode_heartbeat(const Heartbeat& h);
// False (and `out` untouched) on anything that is not a well-formed heartbeat.
bool decode_heartbeat(std::string_view bytes, Heartbeat& out, const Limits& limits = {});

// Splits a snapshot into chunks of at most `max_users` users and about
// `max_bytes` of user ids each (at least one chunk; pure, tested). Chunk 0
// carries every namespace's socket and anonymous counts, the others 0.
std::vector<Heartbeat> split_heartbeat(const Heartbeat& h, size_t max_users, size_t max_bytes);

// The adapter's numbers; room_counts is ours (a string type, which Node.js
// peers ignore).
enum class RequestKind {
  all_sockets = 0,  // a Node.js peer's allSockets(): {"rooms":[..]} at the top level
  fetch_sockets = 5,
  all_rooms = 1,
  // One socket by id, as socket.io-redis 6 peers ask (remoteJoin(sid, room)):
  // {"sid","room"} / {"sid","close"}, answered {"requestId"} by its node only.
  remote_join = 2,
  remote_leave = 3,
  remote_disconnect = 4,
  server_side_emit = 6,
  room_counts = 100
};

struct Request {
  RequestKind kind = RequestKind::fetch_sockets;
  std::string uid;
  std::string request_id;
  std::vector<std::string> rooms;    // fetch: opts.rooms (empty: every socket)
  std::vector<std::string> except;   // fetch: opts.except
  boost::json::array data;           // server-side emit: [event, ...args]
  std::string sid;                   // remote_*: the socket
  std::vector<std::string> targets;  // remote_join/leave: "room" (a name or a list of them)
  bool close = false;                // remote_disconnect: close the whole connection
};

std::string encode_request(const Request& r);
// Only requests with a requestId of the kinds above; false otherwise
// (join/leave/disconnect by `opts`, as adapter 7+ and the emitter send them,
// and plain serverSideEmit are emitter_message's).
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
  std::optional<std::map<std::string, uint64_t>> room_counts;
  bool truncated = false;  // the node left sockets or rooms out to fit one message
  uint64_t total = 0;      // sockets answer: how many matched (when truncated)
};

// At most `max_bytes` (when not 0): sockets that do not fit are left out and
// the answer says `truncated` with the `total`.
std::string encode_sockets_response(std::string_view request_id, std::string_view node,
                                    const std::vector<SocketInfo>& sockets, size_t max_bytes = 0);
// At most `max_bytes` (when not 0): the smallest rooms are left out and the
// answer says `truncated`.
std::string encode_room_counts_response(std::string_view request_id, std::string_view node,
                                        const std::map<std::string, uint64_t>& counts,
                                        size_t max_bytes = 0);
// allSockets: the ids only, as the adapter answers.
std::string encode_socket_ids_response(std::string_view request_id, std::string_view node,
                                       const std::vector<std::string>& ids);
std::string encode_rooms_response(std::string_view request_id, std::string_view node,
                                  const std::vector<std::string>& rooms);
std::string encode_emit_response(std::string_view request_id, std::string_view node,
                                 const boost::json::value& answer);
// A remote_join/leave/disconnect done: {"requestId"}, as the adapter answers.
std::string encode_done_response(std::string_view request_id);
bool decode_response(std::string_view bytes, Response& out, const Limits& limits = {});

}  // namespace sb::cluster
