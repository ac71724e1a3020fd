// Broker message payloads (gateways/inter_service/message_codec) under each codec
// and broker kind, and replies to our requests.
// Invariant: decoded data published again (encode_event) decodes to the same data.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gateways/inter_service/message_codec.hpp"
#include "protocol/socketio_packet.hpp"
#include "protocol/utf8.hpp"

using namespace sb;
using namespace sb::inter_service;

namespace {

// A number too large for a double parses as infinity, which JSON cannot carry:
// the first hop writes it as JavaScript's JSON.stringify does (null).
bool has_non_finite(const boost::json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array())
    for (auto& e : v.get_array())
      if (has_non_finite(e)) return true;
  if (v.is_object())
    for (auto& [k, e] : v.get_object())
      if (has_non_finite(e)) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Message msg;
  msg.topic = "orders.created";
  msg.payload.assign(reinterpret_cast<const char*>(data), size);
  msg.headers = {{"kafka_correlationId", "c1"}, {"kafka_replyTopic", "r"}};
  // Text that is neither JSON nor UTF-8 becomes a JSON string with U+FFFD in
  // place of the invalid bytes (utf8_lossy): what is published again is valid
  // UTF-8, and its round trip is the fixed point.
  for (Codec codec : {Codec::nest, Codec::json}) {
    for (std::string_view kind : {"redis", "kafka"}) {
      Decoded d;
      if (decode_message(codec, kind, msg, d)) continue;  // refused, with a reason
      Message again_msg;
      again_msg.topic = msg.topic;
      again_msg.payload = encode_event(codec, kind, msg.topic, d.data);
      FUZZ_CHECK(sb::valid_utf8(again_msg.payload));
      Decoded again;
      FUZZ_CHECK(!decode_message(codec, kind, again_msg, again));
      if (!has_non_finite(d.data)) {
        FUZZ_CHECK(sio::to_json(again.data) == sio::to_json(d.data));
      } else {
        // Normalised once; publishing that again changes nothing.
        again_msg.payload = encode_event(codec, kind, msg.topic, again.data);
        Decoded third;
        FUZZ_CHECK(!decode_message(codec, kind, again_msg, third));
        FUZZ_CHECK(sio::to_json(third.data) == sio::to_json(again.data));
      }
      if (d.request_id) {
        (void)encode_reply(codec, kind, *d.request_id, d.data, false);
        (void)encode_reply(codec, kind, *d.request_id, d.data, true);
      }
      (void)decode_reply(codec, kind, msg);
    }
  }
  return 0;
}
