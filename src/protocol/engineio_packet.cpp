#include "protocol/engineio_packet.hpp"

#include <array>

namespace sb::eio {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0xFF marks bytes outside the alphabet; '=' is handled separately.
constexpr std::array<uint8_t, 256> make_decode_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = i;
  return t;
}
constexpr auto kDecode = make_decode_table();

void append_base64(std::string& out, std::string_view bytes) {
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

// Strict RFC 4648: length a multiple of 4, '=' only as the last one or two chars.
// Non-zero trailing bits are tolerated, as Node's Buffer.from(..., "base64") does.
bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  size_t pad = 0;
  if (text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  out.reserve(text.size() / 4 * 3 - pad);
  const size_t full = text.size() - (pad ? 4 : 0);  // groups without padding
  for (size_t i = 0; i < full; i += 4) {
    uint8_t a = kDecode[static_cast<uint8_t>(text[i])];
    uint8_t b = kDecode[static_cast<uint8_t>(text[i + 1])];
    uint8_t c = kDecode[static_cast<uint8_t>(text[i + 2])];
    uint8_t d = kDecode[static_cast<uint8_t>(text[i + 3])];
    if ((a | b | c | d) & 0x80) return false;
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    out += static_cast<char>(v >> 16);
    out += static_cast<char>((v >> 8) & 0xFF);
    out += static_cast<char>(v & 0xFF);
  }
  if (pad) {
    const size_t i = full;
    uint8_t a = kDecode[static_cast<uint8_t>(text[i])];
    uint8_t b = kDecode[static_cast<uint8_t>(text[i + 1])];
    if ((a | b) & 0x80) return false;
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12);
    if (pad == 1) {
      uint8_t c = kDecode[static_cast<uint8_t>(text[i + 2])];
      if (c & 0x80) return false;
      v |= uint32_t{c} << 6;
    }
    out += static_cast<char>(v >> 16);
    if (pad == 1) out += static_cast<char>((v >> 8) & 0xFF);
  }
  return true;
}

DecodeError decode_packet(std::string_view text, Packet& out) {
  if (text.empty()) return DecodeError::Empty;
  const char c = text.front();
  if (c == 'b') {
    if (!base64_decode(text.substr(1), out.data)) return DecodeError::BadBase64;
    out.type = PacketType::Message;
    out.binary = true;
    return DecodeError::None;
  }
  if (c < '0' || c > '6') return DecodeError::UnknownType;
  out.type = static_cast<PacketType>(c - '0');
  out.binary = false;
  out.data.assign(text.substr(1));
  return DecodeError::None;
}

DecodeError decode_payload(std::string_view body, std::vector<Packet>& out, size_t max_packets) {
  out.clear();
  size_t pos = 0;
  while (true) {
    const size_t sep = body.find(kRecordSeparator, pos);
    const std::string_view record =
        body.substr(pos, sep == std::string_view::npos ? std::string_view::npos : sep - pos);
    if (out.size() >= max_packets) return DecodeError::TooManyPackets;
    Packet p;
    if (auto err = decode_packet(record, p); err != DecodeError::None) return err;
    out.push_back(std::move(p));
    if (sep == std::string_view::npos) return DecodeError::None;
    pos = sep + 1;
  }
}

void append_packet(std::string& out, PacketType type, std::string_view data) {
  out += static_cast<char>('0' + static_cast<uint8_t>(type));
  out += data;
}

void append_binary_packet(std::string& out, std::string_view bytes) {
  out += 'b';
  append_base64(out, bytes);
}

void append_payload_packet(std::string& out, const Packet& p) {
  if (!out.empty()) out += kRecordSeparator;
  if (p.binary) {
    append_binary_packet(out, p.data);
  } else {
    append_packet(out, p.type, p.data);
  }
}

}  // namespace sb::eio
