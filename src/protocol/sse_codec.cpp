#include "protocol/sse_codec.hpp"

namespace sb::sse {

void append_fields(std::string& out, std::string_view event, std::string_view data) {
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  // Every line of data becomes its own "data:" field; the client joins them
  // with LF again. CRLF counts as one break, a lone CR as one too (the spec's
  // three line endings), so a payload cannot inject fields or end the event.
  size_t start = 0;
  for (;;) {
    size_t i = start;
    while (i < data.size() && data[i] != '\n' && data[i] != '\r') ++i;
    out += "data: ";
    out.append(data.substr(start, i - start));
    out += '\n';
    if (i >= data.size()) break;
    if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
}

void append_id(std::string& out, std::string_view id) {
  out += "id: ";
  out += id;
  out += '\n';
}

void append_retry(std::string& out, uint32_t retry_ms) {
  out += "retry: ";
  out += std::to_string(retry_ms);
  out += '\n';
}

std::string encode_event(std::string_view id, std::string_view event, std::string_view data,
                         std::optional<uint32_t> retry_ms) {
  std::string out;
  out.reserve(32 + event.size() + data.size() + id.size());
  if (retry_ms) append_retry(out, *retry_ms);
  append_fields(out, event, data);
  if (!id.empty()) append_id(out, id);
  out += '\n';
  return out;
}

std::string encode_comment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) out += (c == '\n' || c == '\r') ? ' ' : c;
  out += "\n\n";
  return out;
}

bool valid_field_value(std::string_view v) {
  for (char c : v)
    if (c == '\n' || c == '\r' || c == '\0') return false;
  return true;
}

void Parser::feed(std::string_view bytes, std::vector<ParsedEvent>& out) {
  if (!started_) {
    buf_.append(bytes);
    if (buf_.size() < 3 && std::string_view("\xEF\xBB\xBF").substr(0, buf_.size()) == buf_) return;
    if (buf_.rfind("\xEF\xBB\xBF", 0) == 0) buf_.erase(0, 3);
    started_ = true;
    bytes = {};
  } else {
    buf_.append(bytes);
  }
  size_t pos = 0;
  while (pos < buf_.size()) {
    if (pending_cr_) {
      pending_cr_ = false;
      if (buf_[pos] == '\n') {
        ++pos;
        continue;
      }
    }
    size_t i = pos;
    while (i < buf_.size() && buf_[i] != '\n' && buf_[i] != '\r') ++i;
    if (i == buf_.size()) break;  // incomplete line
    line(std::string_view(buf_).substr(pos, i - pos), out);
    if (buf_[i] == '\r') pending_cr_ = true;
    pos = i + 1;
  }
  buf_.erase(0, pos);
}

void Parser::line(std::string_view l, std::vector<ParsedEvent>& out) {
  if (l.empty()) {
    // Dispatch. The id takes effect even when no event fires.
    if (data_.empty()) {
      event_.clear();
      return;
    }
    if (data_.back() == '\n') data_.pop_back();
    ParsedEvent e;
    e.id = last_id_;
    if (!event_.empty()) e.event = event_;
    e.data = std::move(data_);
    out.push_back(std::move(e));
    data_.clear();
    event_.clear();
    return;
  }
  if (l[0] == ':') {
    ++comments_;
    return;
  }
  std::string_view field = l, value;
  if (auto colon = l.find(':'); colon != std::string_view::npos) {
    field = l.substr(0, colon);
    value = l.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    event_ = value;
  } else if (field == "data") {
    data_.append(value);
    data_ += '\n';
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  } else if (field == "retry") {
    bool digits = !value.empty() && value.size() <= 9;
    for (char c : value) digits = digits && c >= '0' && c <= '9';
    if (digits) retry_ = static_cast<uint32_t>(std::stoul(std::string(value)));
  }
}

}  // namespace sb::sse
