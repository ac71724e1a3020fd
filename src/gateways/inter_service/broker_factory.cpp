#include "gateways/inter_service/broker_factory.hpp"

#include <charconv>
#include <stdexcept>

#include "gateways/inter_service/kafka_broker.hpp"
#include "gateways/inter_service/memory_broker.hpp"
#include "gateways/inter_service/nats_broker.hpp"
#include "gateways/inter_service/redis_broker.hpp"

namespace sb::inter_service {

namespace {

[[noreturn]] void bad(const std::string& why) {
  throw std::invalid_argument(why);
}

std::string decode_percent(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (true) {
    auto p = s.find(sep);
    auto part = s.substr(0, p);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

}  // namespace

RedisUrl parse_redis_url(std::string_view url) {
  RedisUrl u;
  if (url.empty()) return u;
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme)
    bad("url: expected redis://[[user]:password@]host[:port], got \"" + std::string(url) + "\"");
  url.remove_prefix(scheme.size());
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    // A database number means nothing to Pub/Sub (channels are server-wide).
    url = url.substr(0, slash);
  }
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = url.substr(0, at);
    url.remove_prefix(at + 1);
    if (auto colon = cred.find(':'); colon != std::string_view::npos) {
      u.user = decode_percent(cred.substr(0, colon));
      u.password = decode_percent(cred.substr(colon + 1));
    } else {
      u.password = decode_percent(cred);  // redis://secret@host: a password only
    }
  }
  std::string_view host = url;
  if (!host.empty() && host.front() == '[') {  // [::1]:6379
    auto close = host.find(']');
    if (close == std::string_view::npos) bad("url: unclosed '[' in the host");
    u.host = std::string(host.substr(1, close - 1));
    host.remove_prefix(close + 1);
    if (!host.empty() && host.front() != ':') bad("url: expected ':' after the IPv6 host");
  } else {
    auto colon = host.rfind(':');
    u.host = std::string(host.substr(0, colon));
    host = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
  }
  if (u.host.empty()) bad("url: no host");
  if (!host.empty()) {
    host.remove_prefix(1);
    int port = 0;
    auto r = std::from_chars(host.data(), host.data() + host.size(), port);
    if (r.ec != std::errc() || r.ptr != host.data() + host.size() || port < 1 || port > 65535)
      bad("url: bad port \"" + std::string(host) + "\"");
    u.port = port;
  }
  return u;
}

std::vector<std::string> parse_nats_urls(std::string_view url) {
  auto servers = split(url, ',');
  for (auto& s : servers)
    if (s.rfind("nats://", 0) != 0 && s.rfind("tls://", 0) != 0)
      bad("url: expected nats://host:port[,nats://...], got \"" + s + "\"");
  return servers;
}

std::unique_ptr<Broker> make_broker(const BrokerSpec& spec, net::Worker& worker) {
  BrokerLimits limits;
  limits.max_payload_bytes = spec.max_payload_bytes;
  if (spec.kind == "memory") {
    MemoryBrokerOptions o;
    o.limits = limits;
    return std::make_unique<MemoryBroker>(spec.name, worker, o);
  }
  if (spec.kind == "redis") {
    RedisUrl u = parse_redis_url(spec.url);
    RedisBrokerOptions o;
    o.host = u.host;
    o.port = u.port;
    o.username = u.user;
    o.password = u.password;
    o.max_queued_publishes = spec.max_queued_publishes;
    o.limits = limits;
    return std::make_unique<RedisBroker>(spec.name, worker, std::move(o));
  }
  if (spec.kind == "nats") {
    NatsBrokerOptions o;
    if (!spec.url.empty()) o.servers = parse_nats_urls(spec.url);
    o.connection_name = "switchboard:" + spec.name;
    o.limits = limits;
    return std::make_unique<NatsBroker>(spec.name, worker, std::move(o));
  }
  if (spec.kind == "kafka") {
    KafkaBrokerOptions o;
    const auto servers = split(spec.url, ',');
    if (servers.empty()) bad("url: a Kafka broker needs bootstrap servers (host:port[,host:port])");
    o.brokers.clear();
    for (const auto& s : servers) {
      if (s.find("://") != std::string::npos)
        bad("url: Kafka bootstrap servers are host:port (no scheme), got \"" + s + "\"");
      o.brokers += (o.brokers.empty() ? "" : ",") + s;
    }
    if (!spec.group_id.empty()) o.group_id = spec.group_id;
    o.client_id = "switchboard-" + spec.name;
    o.properties = spec.options;
    o.max_queued_publishes = spec.max_queued_publishes;
    o.limits = limits;
    return std::make_unique<KafkaBroker>(spec.name, worker, std::move(o));
  }
  bad("kind: expected memory, redis, nats or kafka, got \"" + spec.kind + "\"");
}

}  // namespace sb::inter_service
