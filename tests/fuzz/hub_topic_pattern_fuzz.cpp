// Event-bus patterns (hub/topic_pattern: EventEmitter2 style, "*" one segment,
// "**" any number). Input: pattern on the first line, event name after it.
// Invariant: topic_matches agrees with a plain dynamic-programming matcher.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "hub/topic_pattern.hpp"

using namespace sb::hub;

static std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;  // no segments at all
  for (;;) {
    const auto d = s.find('.');
    out.push_back(s.substr(0, d));
    if (d == std::string_view::npos) return out;
    s.remove_prefix(d + 1);
  }
}

// m[i][j]: pattern segments i.. match name segments j..
static bool reference(std::string_view pattern, std::string_view name) {
  const auto p = split(pattern), n = split(name);
  std::vector<std::vector<char>> m(p.size() + 1, std::vector<char>(n.size() + 1, 0));
  m[p.size()][n.size()] = 1;
  for (size_t i = p.size(); i-- > 0;) {
    for (size_t j = n.size() + 1; j-- > 0;) {
      if (p[i] == "**")
        m[i][j] = m[i + 1][j] || (j < n.size() && m[i][j + 1]);
      else
        m[i][j] = j < n.size() && (p[i] == "*" || p[i] == n[j]) && m[i + 1][j + 1];
    }
  }
  return m[0][0];
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view pattern = in.substr(0, nl);
  const std::string_view name = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  if (pattern.size() > 512 || name.size() > 512) return 0;

  const bool valid = valid_pattern(pattern);
  if (valid) FUZZ_CHECK(!pattern.empty());
  (void)is_pattern(pattern);
  FUZZ_CHECK(topic_matches(pattern, name) == reference(pattern, name));
  if (!is_pattern(pattern)) FUZZ_CHECK(topic_matches(pattern, name) == (pattern == name));
  return 0;
}
