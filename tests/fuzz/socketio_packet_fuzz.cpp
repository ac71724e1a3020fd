// Socket.IO packets (the text after the Engine.IO '4'), with the attachment
// placeholders checked as the client gateway does before reassembly.
// Invariant: a decoded packet re-encodes to a fixed point (encode(decode(e)) == e).
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/socketio_packet.hpp"

using namespace sb::sio;
namespace json = boost::json;

// Infinity (from 1e999) encodes as null, as JSON.stringify does: no fixed point.
static bool has_nonfinite(const json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      if (has_nonfinite(e)) return true;
  } else if (const auto* o = v.if_object()) {
    for (const auto& kv : *o)
      if (has_nonfinite(kv.value())) return true;
  }
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  Packet p;
  const DecodeError err = decode(in, p, limits);
  FUZZ_CHECK(to_string(err) != nullptr);
  if (err != DecodeError::None) return 0;

  FUZZ_CHECK(!p.nsp.empty() && p.nsp[0] == '/' && p.nsp.size() <= limits.max_nsp_length);
  const bool binary = p.type == PacketType::BinaryEvent || p.type == PacketType::BinaryAck;
  FUZZ_CHECK(binary == (p.attachments > 0));
  FUZZ_CHECK(p.attachments <= limits.max_attachments);
  (void)placeholders_valid(p.data, p.attachments);

  if (has_nonfinite(p.data)) return 0;
  std::string e1;
  encode(p, e1);
  Packet q;
  FUZZ_CHECK(decode(e1, q, limits) == DecodeError::None);
  FUZZ_CHECK(q.type == p.type && q.nsp == p.nsp && q.id == p.id && q.attachments == p.attachments);
  std::string e2;
  encode(q, e2);
  FUZZ_CHECK(e1 == e2);
  // The hot-path encoder gives the same bytes.
  std::string raw;
  encode_raw(p.type, p.nsp, p.id, p.attachments, p.data.is_null() ? "" : to_json(p.data), raw);
  FUZZ_CHECK(raw == e1);
  return 0;
}
