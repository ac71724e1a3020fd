#include "net/tls_counters.hpp"

namespace sb::net {

TlsCounters& tls_counters() {
  static TlsCounters counters;
  return counters;
}

}  // namespace sb::net
