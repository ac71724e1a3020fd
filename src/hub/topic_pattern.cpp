#include "hub/topic_pattern.hpp"

#include <optional>

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

// A position in a segment list. `done` tells "no segments left" from "one
// empty segment left", which an empty view alone cannot.
struct Cursor {
  std::string_view rest;
  bool done;
  std::string_view segment() const { return head(rest); }
  Cursor next() const { return has_tail(rest) ? Cursor{tail(rest), false} : Cursor{{}, true}; }
};

// Glob matching over segments ("**" as '*', "*" as '?'): on a mismatch, go back
// to the last "**" and let it take one more segment. Earlier "**"s never need
// revisiting, so this is O(pattern x name); plain recursion was exponential in
// the number of "**" (found by tests/fuzz).
bool match(Cursor p, Cursor n) {
  std::optional<Cursor> star_p, star_n;  // after the last "**"; where it stopped taking
  while (!n.done) {
    if (!p.done && p.segment() == "**") {
      p = p.next();
      star_p = p;
      star_n = n;
      continue;
    }
    if (!p.done && (p.segment() == "*" || p.segment() == n.segment())) {
      p = p.next();
      n = n.next();
      continue;
    }
    if (!star_p) return false;
    star_n = star_n->next();
    n = *star_n;
    p = *star_p;
  }
  while (!p.done && p.segment() == "**") p = p.next();
  return p.done;
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
  return match(Cursor{pattern, pattern.empty()}, Cursor{name, name.empty()});
}

}  // namespace sb::hub
