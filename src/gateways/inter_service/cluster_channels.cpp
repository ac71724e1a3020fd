#include "gateways/inter_service/cluster_channels.hpp"

#include "protocol/emitter_message.hpp"

namespace sb::inter_service {

namespace {

bool nats_special(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '.' || c == '*' || c == '>' || c == '%';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string nats_token_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (!nats_special(c)) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    out.push_back('%');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  // An empty token is not allowed in a subject.
  return out.empty() ? std::string("%") : out;
}

std::optional<std::string> nats_token_unescape(std::string_view t) {
  if (t == "%") return std::string();
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '%') {
      out.push_back(t[i]);
      continue;
    }
    if (i + 2 >= t.size()) return std::nullopt;
    const int hi = hex_value(t[i + 1]), lo = hex_value(t[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string ClusterChannels::check_prefix(ClusterScheme scheme, std::string_view prefix) {
  if (prefix.empty()) return "must not be empty";
  for (unsigned char c : prefix)
    if (c <= 0x20 || c == 0x7f) return "must not hold spaces or control characters";
  if (scheme == ClusterScheme::redis) {
    if (prefix.find_first_of("*?[]\\#") != std::string_view::npos)
      return "must not hold *, ?, [, ], \\ or # (Redis channel globs)";
    return "";
  }
  if (prefix.find_first_of("*>") != std::string_view::npos)
    return "must not hold * or > (NATS wildcards)";
  if (prefix.front() == '.' || prefix.back() == '.' || prefix.find("..") != std::string_view::npos)
    return "must be '.'-separated non-empty NATS tokens";
  return "";
}

std::string ClusterChannels::broadcast(std::string_view nsp,
                                       const std::vector<std::string>& rooms) const {
  if (scheme_ == ClusterScheme::redis)
    return emitter::broadcast_channel(prefix_, nsp, rooms.size() == 1 ? rooms[0] : "");
  return prefix_ + "." + nats_token_escape(nsp) + ".broadcast";
}

std::string ClusterChannels::request(std::string_view nsp) const {
  if (scheme_ == ClusterScheme::redis) return emitter::request_channel(prefix_, nsp);
  return prefix_ + "." + nats_token_escape(nsp) + ".request";
}

std::string ClusterChannels::response(std::string_view nsp) const {
  if (scheme_ == ClusterScheme::redis) return prefix_ + "-response#" + std::string(nsp) + "#";
  return prefix_ + "." + nats_token_escape(nsp) + ".response";
}

std::string ClusterChannels::presence() const {
  return scheme_ == ClusterScheme::redis ? prefix_ + "-presence#" : prefix_ + ".presence";
}

std::string ClusterChannels::response_subscription() const {
  return scheme_ == ClusterScheme::redis ? prefix_ + "-response#*" : prefix_ + ".*.response";
}

std::string ClusterChannels::broadcast_subscription() const {
  return scheme_ == ClusterScheme::redis ? prefix_ + "#*" : prefix_ + ".*.broadcast";
}

std::string ClusterChannels::request_subscription() const {
  return scheme_ == ClusterScheme::redis ? prefix_ + "-request#*" : prefix_ + ".*.request";
}

std::optional<std::string> ClusterChannels::nsp_of_request(std::string_view ch) const {
  if (scheme_ == ClusterScheme::redis) {
    const std::string head = prefix_ + "-request#";
    if (ch.size() < head.size() + 1 || ch.substr(0, head.size()) != head || ch.back() != '#')
      return std::nullopt;
    return std::string(ch.substr(head.size(), ch.size() - head.size() - 1));
  }
  const std::string head = prefix_ + ".";
  const std::string_view tail = ".request";
  if (ch.size() <= head.size() + tail.size() || ch.substr(0, head.size()) != head ||
      ch.substr(ch.size() - tail.size()) != tail)
    return std::nullopt;
  const std::string_view token = ch.substr(head.size(), ch.size() - head.size() - tail.size());
  if (token.find('.') != std::string_view::npos) return std::nullopt;
  return nats_token_unescape(token);
}

}  // namespace sb::inter_service
