#pragma once
// Builds a broker from its config entry ([[brokers]]): the kind, a URL and a
// few limits. URL forms:
//   memory  (none)
//   redis   redis://[[user]:password@]host[:port]            default port 6379
//   nats    nats://[user:password@]host[:port][,nats://...]   default port 4222
//   kafka   host:port[,host:port...]  (the bootstrap servers)
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateways/inter_service/broker.hpp"

namespace sb::net {
class Worker;
}

namespace sb::inter_service {

struct BrokerSpec {
  std::string name;
  std::string kind = "memory";  // memory | redis | nats | kafka
  std::string url;
  size_t max_queued_publishes = 10000;  // buffered while the broker is down
  size_t max_payload_bytes = 1 << 20;
  std::string group_id;                        // kafka consumer group
  std::map<std::string, std::string> options;  // kafka: extra librdkafka properties
};

// The parts of a redis:// URL. Throws std::invalid_argument naming the problem.
struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user, password;
};
RedisUrl parse_redis_url(std::string_view url);

// The servers of a nats:// URL list (empty: cnats's default). Throws
// std::invalid_argument for a server without nats:// or tls://.
std::vector<std::string> parse_nats_urls(std::string_view url);

// Throws std::invalid_argument for an unknown kind or a bad URL.
std::unique_ptr<Broker> make_broker(const BrokerSpec& spec, net::Worker& worker);

}  // namespace sb::inter_service
