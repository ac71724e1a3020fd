// Broker topic patterns (gateways/inter_service/topic_pattern: NATS syntax, "*"
// one token, ">" the rest). Input: pattern on the first line, topic after it.
// Invariants: matches() equals the Kafka regex we subscribe with; the Redis glob
// is a superset (the Redis broker filters with matches()); a literal pattern
// matches only itself.
#include <fnmatch.h>
#include <regex.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gateways/inter_service/topic_pattern.hpp"

namespace tp = sb::inter_service::topic_pattern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string pattern(in.substr(0, nl));
  const std::string topic(nl == std::string_view::npos ? "" : in.substr(nl + 1));

  std::string why;
  const bool pattern_ok = tp::valid_pattern(pattern, &why);
  if (!pattern_ok) FUZZ_CHECK(!why.empty());
  const bool topic_ok = tp::valid_topic(topic, nullptr);
  if (!pattern_ok || !topic_ok) return 0;
  // C strings below: a NUL would cut them short (valid ones have none).
  FUZZ_CHECK(pattern.find('\0') == std::string::npos && topic.find('\0') == std::string::npos);

  const bool m = tp::matches(pattern, topic);
  if (tp::is_literal(pattern)) {
    FUZZ_CHECK(m == (pattern == topic));
    return 0;
  }
  if (m) FUZZ_CHECK(fnmatch(tp::to_redis_glob(pattern).c_str(), topic.c_str(), 0) == 0);

  const std::string re = tp::to_kafka_regex(pattern);
  regex_t rx;
  FUZZ_CHECK(regcomp(&rx, re.c_str(), REG_EXTENDED | REG_NOSUB) == 0);
  const bool rm = regexec(&rx, topic.c_str(), 0, nullptr, 0) == 0;
  regfree(&rx);
  FUZZ_CHECK(rm == m);
  return 0;
}
