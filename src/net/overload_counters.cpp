#include "net/overload_counters.hpp"

namespace sb::net {

const char* limit_name(Limit l) {
  switch (l) {
    case Limit::Connections:
      return "connections";
    case Limit::ConnectionsPerIp:
      return "connections_per_ip";
    case Limit::HandshakeRate:
      return "handshake_rate";
    case Limit::EventRate:
      return "event_rate";
    case Limit::Rooms:
      return "rooms";
    case Limit::NameLength:
      return "name_length";
    case Limit::PendingAcks:
      return "pending_acks";
    case Limit::Count:
      break;
  }
  return "unknown";
}

OverloadCounters& overload_counters() {
  static OverloadCounters c;
  return c;
}

}  // namespace sb::net
