#pragma once
// Engine.IO v4 packets and HTTP long-polling payloads. Pure codec, no I/O.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sb::eio {

enum class PacketType : uint8_t { Open = 0, Close, Ping, Pong, Message, Upgrade, Noop };

struct Packet {
  PacketType type = PacketType::Message;
  bool binary = false;  // a message carrying raw bytes (WS binary frame / `b<base64>`)
  std::string data;     // text after the type digit, or the raw bytes when binary
};

enum class DecodeError : uint8_t {
  None = 0,
  Empty,        // zero-length packet
  UnknownType,  // first char not 0-6 and not 'b'
  BadBase64,    // `b...` polling record with invalid base64
  TooManyPackets,
};

// One text packet: a WebSocket text frame or one polling record ("4hello", "2probe", "bAQID").
DecodeError decode_packet(std::string_view text, Packet& out);

// A polling POST body: packets joined by '\x1e'. Stops at the first bad record.
// `out` is cleared first; an empty record (e.g. a trailing '\x1e') is Empty.
DecodeError decode_payload(std::string_view body, std::vector<Packet>& out,
                           size_t max_packets = 1024);

// Text form of a packet: "<digit><data>", or "b<base64>" for binary (polling only).
void append_packet(std::string& out, PacketType type, std::string_view data);
void append_binary_packet(std::string& out, std::string_view bytes);  // "b" + base64

// Appends a packet to a polling payload, adding the separator when `out` is not empty.
void append_payload_packet(std::string& out, const Packet& p);

std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string& out);

inline constexpr char kRecordSeparator = '\x1e';

}  // namespace sb::eio
