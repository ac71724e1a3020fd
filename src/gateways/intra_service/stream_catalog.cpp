#include "gateways/intra_service/stream_catalog.hpp"

#include <stdexcept>

namespace sb::intra {

std::optional<Access> parse_access(std::string_view s) {
  if (s == "public") return Access::Public;
  if (s == "authenticated") return Access::Authenticated;
  if (s == "user") return Access::User;
  if (s == "dashboard") return Access::Dashboard;
  return std::nullopt;
}

const char* to_string(Access a) {
  switch (a) {
    case Access::Public:
      return "public";
    case Access::Authenticated:
      return "authenticated";
    case Access::User:
      return "user";
    case Access::Dashboard:
      return "dashboard";
  }
  return "public";
}

bool StreamCatalog::valid_name(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '@' || c == '-' || c == '+' ||
                    c == '=' || c == '~';
    if (!ok) return false;
  }
  return true;
}

void StreamCatalog::add(StreamRule rule) {
  const std::string_view base = rule.prefix();
  if (!valid_name(base))
    throw std::invalid_argument("\"" + rule.name +
                                "\" is not a stream name (letters, digits and . _ : @ - + = ~, "
                                "optionally ending in * for a family)");
  if (rule.access == Access::User && !rule.family())
    throw std::invalid_argument("\"" + rule.name +
                                "\": access \"user\" needs a family name ending in \"*\" (e.g. "
                                "\"inbox:*\"), the rest of the name being the user id");
  for (auto& r : rules_)
    if (r.name == rule.name) throw std::invalid_argument("\"" + rule.name + "\" is declared twice");
  rules_.push_back(std::move(rule));
}

const StreamRule* StreamCatalog::find(std::string_view stream) const {
  const StreamRule* best = nullptr;
  for (auto& r : rules_) {
    if (!r.family()) {
      if (r.name == stream) return &r;
      continue;
    }
    const auto p = r.prefix();
    if (stream.size() > p.size() && stream.substr(0, p.size()) == p &&
        (!best || p.size() > best->prefix().size()))
      best = &r;
  }
  return best;
}

}  // namespace sb::intra
