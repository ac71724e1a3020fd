#pragma once
// RFC 6455 frame codec for the server side. Pure, no I/O: the connection feeds
// bytes from its read buffer and gets headers back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::ws {

enum class Opcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA
};

struct FrameHeader {
  bool fin = true;
  Opcode opcode = Opcode::Text;
  bool masked = false;
  uint8_t mask[4] = {0, 0, 0, 0};
  uint64_t payload_length = 0;
  size_t header_length = 0;  // bytes before the payload
};

enum class ParseResult : uint8_t {
  Ok = 0,
  NeedMore,           // not enough bytes for the whole header yet
  ReservedBits,       // RSV1-3 set (no extension negotiated) -> close 1002
  BadOpcode,          // unknown opcode -> 1002
  ControlTooLong,     // control frame payload > 125 -> 1002
  ControlFragmented,  // control frame without FIN -> 1002
  NotMasked,          // client frame without mask -> 1002
  TooLarge,           // payload above the limit -> 1009
  BadLength,          // non-minimal or 64-bit length with the top bit set -> 1002
};

// Close status codes we send.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseInvalidData = 1007;
inline constexpr uint16_t kClosePolicy = 1008;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseInternal = 1011;

// Parses a client frame header (masked, as RFC 6455 requires).
ParseResult parse_header(const uint8_t* data, size_t size, uint64_t max_payload, FrameHeader& out);

// XORs `size` bytes in place with the mask, `offset` bytes into the payload.
void unmask(uint8_t* data, size_t size, const uint8_t mask[4], uint64_t offset);

// Writes an unmasked server frame header into `out` (at least 10 bytes). Returns its length.
size_t write_header(uint8_t* out, Opcode opcode, uint64_t payload_length, bool fin = true);

// Whole server frame (header + payload) appended to `out`.
void append_frame(std::string& out, Opcode opcode, std::string_view payload);

// Close frame payload: status code + reason.
std::string close_payload(uint16_t code, std::string_view reason);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

// What the frames of one connection mean, in order: data frames joined into
// messages (fragmentation state), control frames passed through, protocol
// errors as the close code to send. Payloads come in already unmasked.
class MessageAssembler {
 public:
  struct Event {
    enum class Kind : uint8_t { None, Message, Ping, Pong, Close, Error } kind = Kind::None;
    bool binary = false;    // Message
    std::string_view data;  // Message, Ping, Pong: valid until the next on_frame or release
    uint16_t code = 0;      // Close: the code to answer with; Error: the code to close with
  };

  explicit MessageAssembler(uint64_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}
  Event on_frame(Opcode opcode, bool fin, std::string_view payload);
  // Frees the last reassembled message (an idle connection keeps no buffer).
  void release() { std::string().swap(done_); }
  // A fragmented message is in progress (its state must be kept).
  bool in_message() const { return in_message_; }

 private:
  uint64_t max_message_bytes_;
  std::string message_;  // fragments of a message in progress
  std::string done_;     // the last reassembled message, what Event::data points to
  Opcode message_opcode_ = Opcode::Text;
  bool in_message_ = false;
};

}  // namespace sb::ws
