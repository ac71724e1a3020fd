#include "net/wire.hpp"

#include "protocol/websocket_frame.hpp"

namespace sb::net {

static WirePtr build(ws::Opcode op, char prefix, std::string_view data, bool binary) {
  auto w = std::make_shared<Wire>();
  const uint64_t len = data.size() + (prefix ? 1 : 0);
  uint8_t header[10];
  size_t hl = ws::write_header(header, op, len);
  w->bytes.reserve(hl + len);
  w->bytes.append(reinterpret_cast<const char*>(header), hl);
  if (prefix) w->bytes.push_back(prefix);
  w->bytes.append(data);
  w->header_length = static_cast<uint8_t>(hl);
  w->binary = binary;
  return w;
}

WirePtr make_text_wire(std::string_view text) {
  return build(ws::Opcode::Text, 0, text, false);
}
WirePtr make_text_wire(char type_digit, std::string_view data) {
  return build(ws::Opcode::Text, type_digit, data, false);
}
WirePtr make_binary_wire(std::string_view bytes) {
  return build(ws::Opcode::Binary, 0, bytes, true);
}

}  // namespace sb::net
