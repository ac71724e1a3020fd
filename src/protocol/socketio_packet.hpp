#pragma once
// Socket.IO v5 packets (the payload of Engine.IO `message` packets). Pure codec, no I/O.
//
// Binary attachments stay as placeholders ({"_placeholder":true,"num":n}) in `data`;
// the attachment bytes travel beside the packet. This keeps the JSON tree plain JSON
// and lets a packet be forwarded without rebuilding it.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::sio {

enum class PacketType : uint8_t {
  Connect = 0,
  Disconnect,
  Event,
  Ack,
  ConnectError,
  BinaryEvent,
  BinaryAck
};

struct Packet {
  PacketType type = PacketType::Event;
  std::string nsp = "/";
  std::optional<uint64_t> id;  // ack id
  uint32_t attachments = 0;    // only for BinaryEvent / BinaryAck
  boost::json::value data;     // null when absent
};

struct Limits {
  uint32_t max_attachments = 10;
  size_t max_nsp_length = 256;
  size_t max_json_depth = 32;
};

enum class DecodeError : uint8_t {
  None = 0,
  Empty,
  UnknownType,
  BadAttachments,  // missing '-', not a number, zero, or above the limit
  BadNamespace,    // too long or not starting with '/'
  BadAckId,        // too many digits
  BadJson,         // unparsable, too deep, or trailing garbage
  BadPayload,      // JSON valid but wrong shape for the packet type
  ReservedEvent,   // EVENT named connect, disconnect, ...
};

const char* to_string(DecodeError e);

// Decodes and validates one packet (text after the Engine.IO '4'). `out` is written only on
// success. Placeholders are not matched against `attachments` here: see placeholders_valid.
DecodeError decode(std::string_view text, Packet& out, const Limits& limits = {});

// Appends "<type>[<n>-][<nsp>,][<id>][<json>]" (no Engine.IO prefix).
void encode(const Packet& p, std::string& out);

// Fast encoders for the hot path: `json` is already-serialized JSON text.
void encode_raw(PacketType type, std::string_view nsp, std::optional<uint64_t> id,
                uint32_t attachments, std::string_view json, std::string& out);

// Number of placeholders in a JSON tree, and whether they are exactly 0..n-1.
bool placeholders_valid(const boost::json::value& v, uint32_t expected);

bool is_reserved_event(std::string_view name);

// One complete JSON text (trailing non-whitespace is an error), at most `max_depth` deep,
// with doubles correctly rounded: Boost.JSON 1.81's own conversion is off by an ulp or
// more for some 17-digit numbers, so forwarded numbers would drift. Every codec that
// re-encodes JSON it received parses with this.
bool parse_json(std::string_view text, size_t max_depth, boost::json::value& out);

// Compact JSON serialization, integers as integers and doubles the way JS prints
// them where it matters (1.5 not 1.5e0).
std::string to_json(const boost::json::value& v);
void append_json(std::string& out, const boost::json::value& v);

}  // namespace sb::sio
