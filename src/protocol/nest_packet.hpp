#pragma once
// NestJS microservices packets (@nestjs/microservices over Redis and NATS).
// Pure codec, no I/O. Wire format (see shared/reference/nestjs-wire.md):
//   request  {"pattern":P,"data":D,"id":ID}     (send)
//   event    {"pattern":P,"data":D}             (emit; no id)
//   response {"id":ID,"response":R,"isDisposed":true} or {"id":ID,"err":E,"isDisposed":true}
// A message without `pattern` and `data` is "external" (a non-Nest publisher): the
// whole payload is the data and the channel or subject is the pattern, as Nest does.
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sb::nest {

struct Inbound {
  std::string pattern;            // normalised route (see normalize_pattern)
  boost::json::value data;        // null when absent
  std::optional<std::string> id;  // set: a request that expects a response
  bool external = false;          // not a Nest envelope: data is the whole payload
};

enum class DecodeError : uint8_t { None = 0, TooLarge, BadPattern, BadId };
const char* to_string(DecodeError e);

// The channel/subject/topic Nest uses for a pattern: a string as is, a number as JS
// prints it, an object as {"k":v,...} with keys sorted (nested up to 5 levels, at most
// 20 keys each). Anything else (null, arrays at top level, deeper objects) is refused.
std::optional<std::string> normalize_pattern(const boost::json::value& pattern);

// Decodes what arrived on `channel`. Not JSON, or JSON without the envelope, is external
// (a text payload that is not JSON becomes a JSON string, as Nest's deserializer does).
// The payload is read as text first, invalid UTF-8 as U+FFFD, as Node reads it (see
// utf8.hpp): JSON with a bad byte in a string parses, with U+FFFD there.
DecodeError decode_inbound(std::string_view payload, std::string_view channel, Inbound& out,
                           size_t max_bytes = 1 << 20);

// {"pattern":..,"data":..[,"id":..]} — the pattern already normalised.
std::string encode_request(std::string_view pattern, const boost::json::value& data,
                           std::string_view id);
std::string encode_event(std::string_view pattern, const boost::json::value& data);

struct Response {
  std::string id;
  std::optional<boost::json::value> response;
  std::optional<boost::json::value> err;
  bool disposed = false;
};

// Final answer (Nest merges completion into the last value).
std::string encode_response(std::string_view id, const boost::json::value& response);
std::string encode_error(std::string_view id, const boost::json::value& err);

// A response for one of our requests. A reply with keys other than Nest's
// (id, err, response, isDisposed, status) is a foreign payload: the final response.
bool decode_response(std::string_view payload, Response& out);

// A new request id: 21 URL-safe random characters, as Nest's uid.
std::string new_request_id();

// The Redis reply channel for a pattern (Nest >= 7).
inline std::string redis_reply_channel(std::string_view pattern) {
  return std::string(pattern) + ".reply";
}

}  // namespace sb::nest
