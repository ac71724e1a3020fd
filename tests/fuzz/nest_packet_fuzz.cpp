// NestJS microservice messages as they arrive from Redis/NATS (requests, events,
// external payloads) and replies to our requests.
// Invariant: a decoded request re-encodes (encode_request/encode_event) to a
// message that decodes to the same pattern, data and id.
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/nest_packet.hpp"
#include "protocol/socketio_packet.hpp"

using namespace sb;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  nest::Inbound msg;
  const auto err = nest::decode_inbound(in, "fuzz.channel", msg, 1 << 16);
  FUZZ_CHECK(nest::to_string(err) != nullptr);
  if (err == nest::DecodeError::None && !msg.external && !msg.pattern.empty()) {
    const std::string wire = msg.id ? nest::encode_request(msg.pattern, msg.data, *msg.id)
                                    : nest::encode_event(msg.pattern, msg.data);
    nest::Inbound again;
    FUZZ_CHECK(nest::decode_inbound(wire, "other", again, 1 << 20) == nest::DecodeError::None);
    FUZZ_CHECK(!again.external && again.pattern == msg.pattern && again.id == msg.id);
    // Compare as we print JSON (integers and doubles print the same way JS does).
    FUZZ_CHECK(sio::to_json(again.data) == sio::to_json(msg.data));
  }

  nest::Response r;
  if (nest::decode_response(in, r)) {
    (void)nest::encode_response(r.id, r.response ? *r.response : json::value());
    if (r.err) (void)nest::encode_error(r.id, *r.err);
  }

  // Patterns from any JSON value: normalising is deterministic and bounded.
  boost::system::error_code ec;
  const json::value v = json::parse(in, ec);
  if (!ec) {
    const auto a = nest::normalize_pattern(v);
    const auto b = nest::normalize_pattern(v);
    FUZZ_CHECK(a == b);
    if (a) FUZZ_CHECK(!a->empty());
  }
  return 0;
}
