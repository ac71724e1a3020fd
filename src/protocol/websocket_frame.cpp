#include "protocol/websocket_frame.hpp"

#include <openssl/evp.h>

#include <cstring>

#include "protocol/utf8.hpp"

namespace sb::ws {
namespace {

bool known_opcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

}  // namespace

ParseResult parse_header(const uint8_t* data, size_t size, uint64_t max_payload, FrameHeader& out) {
  if (size < 2) return ParseResult::NeedMore;
  const uint8_t b0 = data[0];
  const uint8_t b1 = data[1];
  if (b0 & 0x70) return ParseResult::ReservedBits;
  const uint8_t op = b0 & 0x0F;
  if (!known_opcode(op)) return ParseResult::BadOpcode;
  const bool fin = (b0 & 0x80) != 0;
  const uint8_t len7 = b1 & 0x7F;
  if (op >= 0x8) {
    if (len7 > 125) return ParseResult::ControlTooLong;
    if (!fin) return ParseResult::ControlFragmented;
  }
  if (!(b1 & 0x80)) return ParseResult::NotMasked;

  // Length errors are reported as soon as the length bytes are in, so an oversized
  // frame is refused before any of it (even the mask) has to be buffered.
  size_t pos = 2;
  uint64_t len = len7;
  if (len7 == 126) {
    if (size < 4) return ParseResult::NeedMore;
    len = (uint64_t{data[2]} << 8) | data[3];
    if (len < 126) return ParseResult::BadLength;
    pos = 4;
  } else if (len7 == 127) {
    if (size < 10) return ParseResult::NeedMore;
    len = 0;
    for (size_t i = 2; i < 10; ++i) len = (len << 8) | data[i];
    if ((len >> 63) != 0 || len <= 0xFFFF) return ParseResult::BadLength;
    pos = 10;
  }
  if (len > max_payload) return ParseResult::TooLarge;
  if (size < pos + 4) return ParseResult::NeedMore;

  out.fin = fin;
  out.opcode = static_cast<Opcode>(op);
  out.masked = true;
  std::memcpy(out.mask, data + pos, 4);
  out.payload_length = len;
  out.header_length = pos + 4;
  return ParseResult::Ok;
}

void unmask(uint8_t* data, size_t size, const uint8_t mask[4], uint64_t offset) {
  // Rotate the mask so that rot[0] applies to data[0].
  uint8_t rot[8];
  for (size_t i = 0; i < 8; ++i) rot[i] = mask[(offset + i) & 3];
  uint64_t m64;
  std::memcpy(&m64, rot, 8);  // byte order matches memory order, so endianness is moot
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= m64;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < size; ++i) data[i] ^= rot[i & 3];
}

size_t write_header(uint8_t* out, Opcode opcode, uint64_t payload_length, bool fin) {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(opcode));
  if (payload_length <= 125) {
    out[1] = static_cast<uint8_t>(payload_length);
    return 2;
  }
  if (payload_length <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_length >> 8);
    out[3] = static_cast<uint8_t>(payload_length);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_length >> (56 - 8 * i));
  return 10;
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
  uint8_t hdr[10];
  const size_t n = write_header(hdr, opcode, payload.size());
  out.reserve(out.size() + n + payload.size());
  out.append(reinterpret_cast<const char*>(hdr), n);
  out.append(payload);
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string out;
  out.reserve(2 + reason.size());
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason);
  return out;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(client_key.size() + kGuid.size());
  input.append(client_key);
  input.append(kGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

MessageAssembler::Event MessageAssembler::on_frame(Opcode opcode, bool fin,
                                                   std::string_view payload) {
  using Kind = Event::Kind;
  release();
  Event ev;
  auto error = [&](uint16_t code) {
    ev.kind = Kind::Error;
    ev.code = code;
    return ev;
  };
  switch (opcode) {
    case Opcode::Ping:
    case Opcode::Pong:
      ev.kind = opcode == Opcode::Ping ? Kind::Ping : Kind::Pong;
      ev.data = payload;
      return ev;
    case Opcode::Close: {
      // We answer 1000 to any close but a malformed one (a 1-byte payload) or 1002.
      uint16_t code = kCloseNormal;
      if (payload.size() >= 2)
        code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                     static_cast<uint8_t>(payload[1]));
      if (payload.size() == 1) code = kCloseProtocolError;
      ev.kind = Kind::Close;
      ev.code = code == kCloseProtocolError ? code : kCloseNormal;
      return ev;
    }
    case Opcode::Text:
    case Opcode::Binary:
      if (in_message_) return error(kCloseProtocolError);  // a new message inside another
      if (fin) {
        if (opcode == Opcode::Text && !valid_utf8(payload)) return error(kCloseInvalidData);
        ev.kind = Kind::Message;
        ev.binary = opcode == Opcode::Binary;
        ev.data = payload;
        return ev;
      }
      in_message_ = true;
      message_opcode_ = opcode;
      message_.assign(payload);
      return ev;
    case Opcode::Continuation:
      if (!in_message_) return error(kCloseProtocolError);
      if (message_.size() + payload.size() > max_message_bytes_) return error(kCloseTooBig);
      message_.append(payload);
      if (!fin) return ev;
      in_message_ = false;
      done_.swap(message_);
      message_.clear();
      ev.binary = message_opcode_ == Opcode::Binary;
      if (!ev.binary && !valid_utf8(done_)) return error(kCloseInvalidData);
      ev.kind = Kind::Message;
      ev.data = done_;
      return ev;
  }
  return error(kCloseProtocolError);
}

}  // namespace sb::ws
