#include "gateways/inter_service/topic_pattern.hpp"

namespace sb::inter_service::topic_pattern {

namespace {

bool is_wild(std::string_view token) {
  return token == "*" || token == ">";
}

// Calls f(token, is_last) for each '.'-separated token; stops when f returns false.
template <class F>
bool for_each_token(std::string_view s, F&& f) {
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const bool last = dot == std::string_view::npos;
    const std::string_view token = s.substr(start, last ? std::string_view::npos : dot - start);
    if (!f(token, last)) return false;
    if (last) return true;
    start = dot + 1;
  }
}

bool check_chars(std::string_view s, std::string* why, const char* what) {
  if (s.empty()) {
    if (why) *why = std::string(what) + " is empty";
    return false;
  }
  if (s.size() > kMaxLength) {
    if (why) *why = std::string(what) + " is longer than " + std::to_string(kMaxLength) + " bytes";
    return false;
  }
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) {
      if (why) *why = std::string(what) + " contains a space or control character";
      return false;
    }
  }
  return true;
}

}  // namespace

bool valid_topic(std::string_view topic, std::string* why) {
  if (!check_chars(topic, why, "topic")) return false;
  const bool ok = for_each_token(topic, [](std::string_view t, bool) { return !is_wild(t); });
  if (!ok && why) *why = "a topic cannot contain a wildcard token ('*' or '>')";
  return ok;
}

bool is_literal(std::string_view pattern) {
  return for_each_token(pattern, [](std::string_view t, bool) { return !is_wild(t); });
}

bool valid_pattern(std::string_view pattern, std::string* why) {
  if (!check_chars(pattern, why, "pattern")) return false;
  if (is_literal(pattern)) return true;
  std::string reason;
  const bool ok = for_each_token(pattern, [&](std::string_view t, bool last) {
    if (t.empty()) {
      reason = "a wildcard pattern cannot have empty tokens";
      return false;
    }
    if (t == ">" && !last) {
      reason = "'>' must be the last token";
      return false;
    }
    return true;
  });
  if (!ok && why) *why = reason;
  return ok;
}

bool matches(std::string_view pattern, std::string_view topic) {
  size_t p = 0, t = 0;
  while (true) {
    const size_t pdot = pattern.find('.', p);
    const std::string_view ptok =
        pattern.substr(p, pdot == std::string_view::npos ? pdot : pdot - p);
    if (t > topic.size()) return false;  // topic exhausted, pattern is not
    const size_t tdot = topic.find('.', t);
    const std::string_view ttok = topic.substr(t, tdot == std::string_view::npos ? tdot : tdot - t);
    if (ptok == ">" && pdot == std::string_view::npos) {
      // One or more non-empty tokens remain.
      for (size_t i = t; i <= topic.size();) {
        const size_t d = topic.find('.', i);
        const size_t end = d == std::string_view::npos ? topic.size() : d;
        if (end == i) return false;
        if (d == std::string_view::npos) break;
        i = d + 1;
      }
      return true;
    }
    if (ptok == "*") {
      if (ttok.empty()) return false;
    } else if (ptok != ttok) {
      return false;
    }
    const bool plast = pdot == std::string_view::npos;
    const bool tlast = tdot == std::string_view::npos;
    if (plast || tlast) return plast && tlast;
    p = pdot + 1;
    t = tdot + 1;
  }
}

std::string to_redis_glob(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 8);
  for_each_token(pattern, [&](std::string_view t, bool last) {
    if (is_wild(t)) {
      out += '*';
    } else {
      for (char c : t) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
        out += c;
      }
    }
    if (!last) out += '.';
    return true;
  });
  return out;
}

std::string to_kafka_regex(std::string_view pattern) {
  std::string out = "^";
  for_each_token(pattern, [&](std::string_view t, bool last) {
    if (t == "*") {
      out += "[^.]+";
    } else if (t == ">") {
      out += "[^.]+(\\.[^.]+)*";  // one or more non-empty tokens, as matches() says
    } else {
      for (char c : t) {
        if (std::string_view(".[]{}()\\*+?^$|").find(c) != std::string_view::npos) out += '\\';
        out += c;
      }
    }
    if (!last) out += "\\.";
    return true;
  });
  out += '$';
  return out;
}

}  // namespace sb::inter_service::topic_pattern
