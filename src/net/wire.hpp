#pragma once
// An outgoing Engine.IO packet, encoded once and shared by every recipient
// (broadcasts post one Wire to every worker). Holds the WebSocket frame; the
// polling form is the same bytes without the frame header.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sb::net {

struct Wire {
  std::string bytes;  // WebSocket frame header + payload
  uint8_t header_length = 0;
  bool binary = false;  // Engine.IO binary message (raw bytes)

  std::string_view ws_frame() const { return bytes; }
  std::string_view payload() const { return std::string_view(bytes).substr(header_length); }
};

using WirePtr = std::shared_ptr<const Wire>;

// `text`: a whole Engine.IO text packet, e.g. "42[\"ev\",1]" or "3probe".
WirePtr make_text_wire(std::string_view text);
// Builds the text packet from a type digit and payload without an extra copy.
WirePtr make_text_wire(char type_digit, std::string_view data);
WirePtr make_binary_wire(std::string_view bytes);

}  // namespace sb::net
