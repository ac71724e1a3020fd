// Engine.IO packets (a WebSocket text frame) and polling payloads (a POST body).
// Invariant: whatever decodes re-encodes to something that decodes to the same packets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/engineio_packet.hpp"

using namespace sb::eio;

static bool same(const Packet& a, const Packet& b) {
  return a.type == b.type && a.binary == b.binary && a.data == b.data;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  Packet p;
  if (decode_packet(in, p) == DecodeError::None) {
    std::string text;
    if (p.binary)
      append_binary_packet(text, p.data);
    else
      append_packet(text, p.type, p.data);
    Packet again;
    FUZZ_CHECK(decode_packet(text, again) == DecodeError::None);
    FUZZ_CHECK(same(p, again));
  }

  std::vector<Packet> packets;
  if (decode_payload(in, packets, 64) == DecodeError::None) {
    FUZZ_CHECK(!packets.empty() && packets.size() <= 64);
    std::string body;
    for (const auto& q : packets) append_payload_packet(body, q);
    std::vector<Packet> again;
    FUZZ_CHECK(decode_payload(body, again, 64) == DecodeError::None);
    FUZZ_CHECK(again.size() == packets.size());
    for (size_t i = 0; i < packets.size(); ++i) FUZZ_CHECK(same(packets[i], again[i]));
  }

  // base64 both ways: any bytes survive encode + decode.
  std::string decoded;
  FUZZ_CHECK(base64_decode(base64_encode(in), decoded) && decoded == in);
  return 0;
}
