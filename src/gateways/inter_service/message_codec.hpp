#pragma once
// How the payload of a broker message maps to an event name and JSON data,
// per broker codec. Pure functions, no I/O.
//
//   codec "nest" (default)  what @nestjs/microservices sends and expects:
//     Redis, NATS, memory: {"pattern":P,"data":D[,"id":ID]}; replies
//       {"id":ID,"response":R,"isDisposed":true} / {"id":ID,"err":E,...}
//     Kafka: the bare data as the record value (Nest has no envelope there);
//       a reply carries `kafka_nest-is-disposed` and, on error, `kafka_nest-err`.
//     A payload without the envelope is "external": all of it is the data.
//   codec "json": the payload is the data, as JSON (text that is not JSON
//     arrives as a JSON string); no request ids of its own.
// Every codec reads the payload as UTF-8 text first, each invalid sequence as
// U+FFFD, as Node does before NestJS parses it (protocol/utf8.hpp): so
// the data is always valid text, and what is sent on is valid JSON.
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "gateways/inter_service/broker.hpp"

namespace sb::inter_service {

enum class Codec { nest, json };
std::optional<Codec> parse_codec(std::string_view name);
const char* codec_name(Codec c);

struct Decoded {
  boost::json::value data;
  std::optional<std::string> request_id;  // a Nest request that expects a response
};

// Decodes what arrived on `msg.topic`. Returns an error message for a payload
// the codec refuses (oversized, a bad Nest pattern or id).
std::optional<std::string> decode_message(Codec codec, std::string_view broker_kind,
                                          const Message& msg, Decoded& out,
                                          size_t max_bytes = 1 << 20);

// The payload of an event (fire and forget) published on `topic`.
std::string encode_event(Codec codec, std::string_view broker_kind, std::string_view topic,
                         const boost::json::value& data);

// A request: sets the payload (and, for Nest, the id the reply carries).
void encode_request(Codec codec, std::string_view broker_kind, std::string_view topic,
                    const boost::json::value& data, Message& out);

// The reply to a request decoded with `request_id`: a response, or an error.
Message encode_reply(Codec codec, std::string_view broker_kind, std::string_view request_id,
                     const boost::json::value& value, bool is_error);

// A reply to one of our requests: the response, or the error it carries.
struct ReplyValue {
  bool ok = true;
  boost::json::value value;  // the response, or the error
};
ReplyValue decode_reply(Codec codec, std::string_view broker_kind, const Message& reply);

}  // namespace sb::inter_service
