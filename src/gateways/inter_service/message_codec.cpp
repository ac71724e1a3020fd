#include "gateways/inter_service/message_codec.hpp"

#include <boost/json/serialize.hpp>

#include "protocol/nest_packet.hpp"
#include "protocol/socketio_packet.hpp"
#include "protocol/utf8.hpp"

namespace sb::inter_service {

namespace json = boost::json;

std::optional<Codec> parse_codec(std::string_view name) {
  if (name == "nest") return Codec::nest;
  if (name == "json") return Codec::json;
  return std::nullopt;
}

const char* codec_name(Codec c) {
  return c == Codec::nest ? "nest" : "json";
}

namespace {

constexpr size_t kMaxDepth = 32;  // as boost::json::parse

bool is_kafka(std::string_view kind) {
  return kind == "kafka";
}

// Both read the payload as text first, invalid UTF-8 as U+FFFD, as Node
// does before Nest's deserializers see it: JSON with a bad byte in a string
// parses (with U+FFFD there), and text that is not JSON becomes a JSON string
// that is valid text.

// JSON when it parses, else the text as a JSON string (Nest's deserializers
// do the same with payloads that are not JSON).
// Parsed with sio::parse_json: boost::json::parse's doubles can be off by an ulp,
// and a forwarded number would change on the way.
json::value parse_or_string(std::string_view payload) {
  std::string storage;
  const std::string_view text = utf8_lossy(payload, storage);
  json::value v;
  if (sio::parse_json(text, kMaxDepth, v)) return v;
  return json::string(text);
}

// Kafka record values: Nest JSON-parses values that start with { or [ and
// leaves anything else a string.
json::value kafka_value(std::string_view payload) {
  std::string storage;
  const std::string_view text = utf8_lossy(payload, storage);
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
    json::value v;
    if (sio::parse_json(text, kMaxDepth, v)) return v;
  }
  return json::string(text);
}

// Kafka values: strings as they are, everything else as JSON (kafkajs sends
// what Nest's serializer gives it).
std::string kafka_bytes(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

}  // namespace

std::optional<std::string> decode_message(Codec codec, std::string_view kind, const Message& msg,
                                          Decoded& out, size_t max_bytes) {
  if (msg.payload.size() > max_bytes) return std::string("message too large");
  out = Decoded{};
  if (codec == Codec::json) {
    out.data = parse_or_string(msg.payload);
    return std::nullopt;
  }
  if (is_kafka(kind)) {
    out.data = kafka_value(msg.payload);
    const std::string* id = msg.header("kafka_correlationId");
    if (id && !id->empty() && msg.header("kafka_replyTopic")) out.request_id = *id;
    return std::nullopt;
  }
  nest::Inbound in;
  if (auto e = nest::decode_inbound(msg.payload, msg.topic, in, max_bytes);
      e != nest::DecodeError::None)
    return std::string(nest::to_string(e));
  out.data = std::move(in.data);
  out.request_id = std::move(in.id);
  return std::nullopt;
}

std::string encode_event(Codec codec, std::string_view kind, std::string_view topic,
                         const json::value& data) {
  if (codec == Codec::json) return json::serialize(data);
  if (is_kafka(kind)) return kafka_bytes(data);
  return nest::encode_event(topic, data);
}

void encode_request(Codec codec, std::string_view kind, std::string_view topic,
                    const json::value& data, Message& out) {
  out.topic = std::string(topic);
  if (codec == Codec::json) {
    out.payload = json::serialize(data);
    return;
  }
  if (is_kafka(kind)) {
    // The Kafka broker adds the correlation and reply-topic headers.
    out.payload = kafka_bytes(data);
    return;
  }
  out.payload = nest::encode_request(topic, data, nest::new_request_id());
}

Message encode_reply(Codec codec, std::string_view kind, std::string_view request_id,
                     const json::value& value, bool is_error) {
  Message m;
  if (codec == Codec::json) {
    m.payload = is_error ? json::serialize(json::object{{"error", value}}) : json::serialize(value);
    return m;
  }
  if (is_kafka(kind)) {
    m.payload = is_error ? std::string() : kafka_bytes(value);
    if (is_error) m.headers.emplace_back("kafka_nest-err", kafka_bytes(value));
    m.headers.emplace_back("kafka_nest-is-disposed", std::string(1, '\0'));
    return m;
  }
  m.payload =
      is_error ? nest::encode_error(request_id, value) : nest::encode_response(request_id, value);
  return m;
}

ReplyValue decode_reply(Codec codec, std::string_view kind, const Message& reply) {
  if (codec == Codec::json) return {true, parse_or_string(reply.payload)};
  if (is_kafka(kind)) {
    if (const std::string* err = reply.header("kafka_nest-err")) return {false, kafka_value(*err)};
    return {true, kafka_value(reply.payload)};
  }
  nest::Response r;
  if (!nest::decode_response(reply.payload, r))
    return {false, json::string("the reply is not a NestJS response")};
  if (r.err) return {false, std::move(*r.err)};
  return {true, r.response ? std::move(*r.response) : json::value(nullptr)};
}

}  // namespace sb::inter_service
