#pragma once
// Process-wide TLS handshake outcomes (relaxed atomics), read by the metrics
// collector as switchboard_tls_handshakes_total{result="ok|failed"}.
#include <atomic>
#include <cstdint>

namespace sb::net {

struct TlsCounters {
  std::atomic<uint64_t> handshakes_ok{0};
  std::atomic<uint64_t> handshakes_failed{0};  // bad or plain-text clients, timeouts, resets
};

TlsCounters& tls_counters();

}  // namespace sb::net
