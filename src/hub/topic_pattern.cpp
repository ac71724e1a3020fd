#include "hub/topic_pattern.hpp"

namespace sb::hub {

namespace {

std::string_view head(std::string_view s) {
  return s.substr(0, s.find('.'));
}
std::string_view tail(std::string_view s) {
  auto d = s.find('.');
  return d == std::string_view::npos ? std::string_view() : s.substr(d + 1);
}
bool has_tail(std::string_view s) {
  return s.find('.') != std::string_view::npos;
}

// Matches segment lists; `p_done`/`n_done` say whether the list is exhausted
// (an empty view alone cannot tell "no segments" from "one empty segment").
bool match(std::string_view p, bool p_done, std::string_view n, bool n_done) {
  for (;;) {
    if (p_done) return n_done;
    const std::string_view ps = head(p);
    const bool p_last = !has_tail(p);
    if (ps == "**") {
      // Zero segments, or consume one name segment and try again.
      if (match(tail(p), p_last, n, n_done)) return true;
      if (n_done) return false;
      const bool n_last = !has_tail(n);
      n = tail(n);
      n_done = n_last;
      continue;
    }
    if (n_done) return false;
    const std::string_view ns = head(n);
    if (ps != "*" && ps != ns) return false;
    const bool n_last = !has_tail(n);
    p = tail(p);
    p_done = p_last;
    n = tail(n);
    n_done = n_last;
  }
}

}  // namespace

bool is_pattern(std::string_view p) {
  for (;;) {
    auto s = head(p);
    if (s == "*" || s == "**") return true;
    if (!has_tail(p)) return false;
    p = tail(p);
  }
}

bool valid_pattern(std::string_view p) {
  if (p.empty()) return false;
  for (;;) {
    auto s = head(p);
    if (s.empty()) return false;
    if (s.find('*') != std::string_view::npos && s != "*" && s != "**") return false;
    if (!has_tail(p)) return true;
    p = tail(p);
  }
}

bool topic_matches(std::string_view pattern, std::string_view name) {
  return match(pattern, pattern.empty(), name, name.empty());
}

}  // namespace sb::hub
