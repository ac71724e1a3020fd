#pragma once
// What @socket.io/redis-emitter (and the Redis adapter of Node servers) publish,
// so a Node service's `emitter.to("user:42").emit(...)` reaches our sockets.
// Pure codec, no I/O. See shared/reference/socketio-protocol.md part C.
//
// Broadcast channel `<prefix>#<nsp>#[<room>#]`, message = msgpack
//   [uid, {type: 2, data: [event, ...args], nsp}, {rooms: [..], except: [..], flags: {..}}]
// Binary args are msgpack `bin`; we turn them into Socket.IO placeholders plus
// attachments, ready for a BINARY_EVENT. Request channel `<prefix>-request#<nsp>#`
// carries JSON commands (join, leave, disconnect, server-side emit).
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::emitter {

struct Broadcast {
  std::string uid;  // "emitter", or a Node adapter's id
  std::string nsp = "/";
  boost::json::array data;               // [event, ...args], binary as placeholders
  std::vector<std::string> attachments;  // bytes of each placeholder, in order
  std::vector<std::string> rooms;        // empty: the whole namespace
  std::vector<std::string> except;
  bool is_volatile = false;
  bool local = false;
};

enum class DecodeError : uint8_t {
  None = 0,
  TooLarge,
  NotMsgpack,  // truncated or invalid msgpack
  BadShape,    // valid msgpack, not [uid, packet, opts]
  NotAnEvent,  // packet type other than EVENT (2)
  TooDeep,
  BadJson,  // request channel: not JSON or wrong shape
  UnknownRequest
};
const char* to_string(DecodeError e);

struct Limits {
  size_t max_bytes = 1 << 20;
  size_t max_depth = 32;
  size_t max_attachments = 10;
};

DecodeError decode_broadcast(std::string_view bytes, Broadcast& out, const Limits& limits = {});

// The same message, for Node servers of a mixed cluster (placeholders back to `bin`).
std::string encode_broadcast(const Broadcast& b);

// `<prefix>#<nsp>#` or `<prefix>#<nsp>#<room>#` (one room, as the emitter does).
std::string broadcast_channel(std::string_view prefix, std::string_view nsp,
                              std::string_view room = {});
// The room named by a broadcast channel ("" for none); nullopt when not one of ours.
std::optional<std::string> room_of_channel(std::string_view prefix, std::string_view nsp,
                                           std::string_view channel);
std::string request_channel(std::string_view prefix, std::string_view nsp);

// A Node Redis adapter's broadcast with acknowledgements (request type 7, on
// the request channel), msgpack:
//   {uid, requestId, type: 7, packet: {type: 2, data: [event, ...args], nsp}, opts: {rooms,
//   except, flags: {timeout, ..}}}
// Answered on the response channel with {"type":8,"requestId","clientCount":n}
// (JSON), then one msgpack {type: 9, requestId, packet: <the client's first ack argument>}
// per client acknowledgement.
struct AckBroadcast {
  std::string request_id;
  Broadcast broadcast;
  uint32_t timeout_ms = 0;  // flags.timeout; 0 when absent
};
DecodeError decode_ack_broadcast(std::string_view bytes, AckBroadcast& out,
                                 const Limits& limits = {});
std::string encode_client_count(std::string_view request_id, size_t count);
std::string encode_broadcast_ack(std::string_view request_id, const boost::json::value& arg);

enum class RequestType : int {
  RemoteJoin = 2,
  RemoteLeave = 3,
  RemoteDisconnect = 4,
  ServerSideEmit = 6
};

struct Request {
  RequestType type = RequestType::RemoteJoin;
  std::string uid;
  std::vector<std::string> rooms;         // opts.rooms: the sockets it applies to
  std::vector<std::string> except;        // opts.except
  std::vector<std::string> target_rooms;  // join/leave: the rooms to join or leave
  bool close = false;                     // disconnect: close the whole connection
  boost::json::array data;                // server-side emit: [event, ...args]
};

// The emitter's JSON requests (types 2, 3, 4, 6). Adapter-to-adapter requests with a
// requestId are UnknownRequest here: they need a full adapter peer.
DecodeError decode_request(std::string_view bytes, Request& out, size_t max_bytes = 1 << 20);

// The JSON a Node Redis adapter publishes for these requests (no requestId:
// nobody answers), with `uid` when set:
//   {"uid":..,"type":2,"opts":{"rooms":[..],"except":[..]},"rooms":[..]}   (3 alike)
//   {"uid":..,"type":4,"opts":{..},"close":false}    {"uid":..,"type":6,"data":[..]}
std::string encode_request(const Request& r);

}  // namespace sb::emitter
