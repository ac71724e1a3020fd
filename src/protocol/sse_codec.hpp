#pragma once
// Server-Sent Events wire format (W3C / WHATWG "text/event-stream"): encoding
// of events, comments and the retry field, plus an incremental parser used by
// tests and the load generator. Pure: bytes in, values out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::sse {

// Appends "event: <event>\n" (when non-empty) and one "data: " line per line of
// `data` (split on CRLF, LF or CR, so no line break can end the event early).
// Does not add the id line nor the blank line that dispatches the event.
// `event` must not contain CR or LF (see valid_field_value).
void append_fields(std::string& out, std::string_view event, std::string_view data);

// Appends "id: <id>\n".
void append_id(std::string& out, std::string_view id);

// A whole event: fields, optional id and retry, then the blank line.
std::string encode_event(std::string_view id, std::string_view event, std::string_view data,
                         std::optional<uint32_t> retry_ms = std::nullopt);

// ": <text>\n\n" — ignored by clients; keeps proxies and idle timers from closing the stream.
std::string encode_comment(std::string_view text);

// "retry: <ms>\n" (the reconnection delay the client should use).
void append_retry(std::string& out, uint32_t retry_ms);

// True when `v` can be a field value on one line: no CR, LF or NUL.
bool valid_field_value(std::string_view v);

// One event as a client sees it.
struct ParsedEvent {
  std::string id;  // the last event ID after this event (sticky, as in the spec)
  std::string event = "message";
  std::string data;
};

// Incremental text/event-stream parser following the spec's interpretation
// rules (BOM, CR/LF/CRLF line ends, comments, "field:value" with one optional
// space, unknown fields ignored, id with NUL ignored, retry digits only).
class Parser {
 public:
  // Feeds bytes; complete events are appended to `out`.
  void feed(std::string_view bytes, std::vector<ParsedEvent>& out);
  const std::string& last_event_id() const { return last_id_; }
  std::optional<uint32_t> retry() const { return retry_; }
  size_t comments() const { return comments_; }

 private:
  void line(std::string_view l, std::vector<ParsedEvent>& out);
  std::string buf_;
  std::string data_;
  std::string event_;
  std::string last_id_;
  std::optional<uint32_t> retry_;
  size_t comments_ = 0;
  bool started_ = false;  // BOM handled
  bool pending_cr_ = false;
};

}  // namespace sb::sse
