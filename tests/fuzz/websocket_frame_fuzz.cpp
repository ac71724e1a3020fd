// Client → server WebSocket bytes, fed in chunks the way a connection reads them:
// header parsing, unmasking, then fragmentation state (MessageAssembler).
// Invariants: messages respect the size limit and text is UTF-8; the answer to a
// protocol error is a close code we document; unmasking in pieces equals unmasking
// at once; our own headers parse back to what was written.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "protocol/utf8.hpp"
#include "protocol/websocket_frame.hpp"

using namespace sb::ws;

static constexpr uint64_t kMaxMessage = 4096;

static void check_unmask(const uint8_t* data, size_t size, const uint8_t mask[4]) {
  if (size == 0) return;  // memcmp on an empty vector's null data is UB
  std::vector<uint8_t> whole(data, data + size), split(data, data + size);
  unmask(whole.data(), whole.size(), mask, 0);
  const size_t cut = size / 3;
  unmask(split.data(), cut, mask, 0);
  unmask(split.data() + cut, size - cut, mask, cut);
  FUZZ_CHECK(whole == split);
  unmask(whole.data(), whole.size(), mask, 0);  // XOR twice is the identity
  FUZZ_CHECK(std::memcmp(whole.data(), data, size) == 0);
}

static void check_header_round_trip(uint64_t len, Opcode op, bool fin) {
  uint8_t buf[14];
  size_t n = write_header(buf, op, len, fin);
  FUZZ_CHECK(n == 2 || n == 4 || n == 10);
  // Make it a client frame: set the mask bit and append a mask.
  buf[1] |= 0x80;
  std::memset(buf + n, 0x5a, 4);
  FrameHeader h;
  const auto r = parse_header(buf, n + 4, UINT64_MAX, h);
  if (r == ParseResult::Ok) {
    FUZZ_CHECK(h.payload_length == len && h.opcode == op && h.fin == fin);
    FUZZ_CHECK(h.header_length == n + 4);
  } else {
    // Only control-frame rules and the 63-bit limit can refuse what we wrote.
    FUZZ_CHECK(r == ParseResult::ControlTooLong || r == ParseResult::ControlFragmented ||
               r == ParseResult::BadLength);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte: the read size (1..256) the stream is cut into.
  const size_t chunk = size_t{data[0]} + 1;
  const uint8_t* stream = data + 1;
  const size_t stream_size = size - 1;

  MessageAssembler assembler(kMaxMessage);
  std::string partial;
  bool open = true;
  for (size_t off = 0; off < stream_size && open; off += chunk) {
    partial.append(reinterpret_cast<const char*>(stream + off), std::min(chunk, stream_size - off));
    size_t used = 0;
    while (open) {
      auto* buf = reinterpret_cast<uint8_t*>(partial.data());
      FrameHeader h;
      const auto r = parse_header(buf + used, partial.size() - used, kMaxMessage, h);
      if (r == ParseResult::NeedMore) break;
      if (r != ParseResult::Ok) {
        open = false;
        break;
      }
      FUZZ_CHECK(h.masked && h.payload_length <= kMaxMessage);
      FUZZ_CHECK(h.header_length >= 6 && h.header_length <= 14);
      if (partial.size() - used < h.header_length + h.payload_length) break;
      uint8_t* payload = buf + used + h.header_length;
      const auto len = static_cast<size_t>(h.payload_length);
      check_unmask(payload, len, h.mask);
      unmask(payload, len, h.mask, 0);
      used += h.header_length + len;
      const auto ev = assembler.on_frame(
          h.opcode, h.fin, std::string_view(reinterpret_cast<const char*>(payload), len));
      using Kind = MessageAssembler::Event::Kind;
      switch (ev.kind) {
        case Kind::Message:
          FUZZ_CHECK(ev.data.size() <= kMaxMessage);
          FUZZ_CHECK(ev.binary || sb::valid_utf8(ev.data));
          assembler.release();
          break;
        case Kind::Close:
          FUZZ_CHECK(ev.code == kCloseNormal || ev.code == kCloseProtocolError);
          open = false;
          break;
        case Kind::Error:
          FUZZ_CHECK(ev.code == kCloseProtocolError || ev.code == kCloseInvalidData ||
                     ev.code == kCloseTooBig);
          open = false;
          break;
        case Kind::Ping:
        case Kind::Pong:
          FUZZ_CHECK(ev.data.size() <= 125);
          break;
        case Kind::None:
          break;
      }
    }
    partial.erase(0, used);
  }

  // Header writer against the parser, with lengths taken from the input.
  uint64_t len = 0;
  std::memcpy(&len, data, std::min<size_t>(size, sizeof len));
  static constexpr Opcode kOps[] = {Opcode::Continuation, Opcode::Text, Opcode::Binary,
                                    Opcode::Close,        Opcode::Ping, Opcode::Pong};
  const Opcode op = kOps[data[0] % 6];
  check_header_round_trip(len, op, (data[0] & 0x80) != 0);
  check_header_round_trip(len & 0xFFFF, op, true);
  check_header_round_trip(len & 0x7F, op, true);

  // The close payload we send parses back to its code.
  const std::string close = close_payload(static_cast<uint16_t>(len), "bye");
  FUZZ_CHECK(close.size() == 5 && static_cast<uint8_t>(close[0]) == ((len >> 8) & 0xFF));
  return 0;
}
