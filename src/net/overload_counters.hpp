#pragma once
// Process-wide counters of overload handling: limits that refused something,
// accept pauses, slow consumers. Relaxed atomics, bumped only when something
// is refused or dropped (never on the per-message path of a healthy
// connection); read by the metrics collector.
#include <array>
#include <atomic>
#include <cstdint>

namespace sb::net {

// Each limit a request can be refused by; see the README's "Limits" table.
enum class Limit : unsigned {
  Connections,       // Engine.IO sessions in all (limits.max_connections)
  ConnectionsPerIp,  // sessions from one address (limits.max_connections_per_ip)
  HandshakeRate,     // new sessions per second from one address
  EventRate,         // Socket.IO events per second on one socket
  Rooms,             // rooms one socket is in
  NameLength,        // event and room names
  PendingAcks,       // server-to-client acknowledgements awaited on one socket
  Count
};

const char* limit_name(Limit l);

struct OverloadCounters {
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Limit::Count)> rejected{};
  std::atomic<uint64_t> accept_pauses{0};   // accept paused for lack of file descriptors
  std::atomic<uint64_t> accept_shed{0};     // connections closed unserved in those pauses
  std::atomic<uint64_t> slow_consumers{0};  // connections cut for not reading
  std::atomic<uint64_t> volatile_dropped{0};

  void reject(Limit l) { rejected[static_cast<size_t>(l)].fetch_add(1, std::memory_order_relaxed); }
};

OverloadCounters& overload_counters();

}  // namespace sb::net
