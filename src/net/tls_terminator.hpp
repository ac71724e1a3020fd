#pragma once
// TLS terminated in process, in front of the plain-text connection classes.
// Every connection class reads and writes its raw fd (hand-made WebSocket
// framing, gather writes, fds handed between workers on upgrade), so TLS is
// not threaded through them: after the handshake, a socketpair's one end goes
// down the ordinary accept path as if a plain listener had accepted it, and a
// pump on the same worker copies bytes between the TLS stream and the other end.
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "net/tls_context.hpp"

namespace sb::net {

class Worker;

struct TlsOptions {
  uint32_t handshake_timeout_ms = 10000;
  size_t buffer_bytes = 16 * 1024;  // per direction: the pump's whole buffering
};

// The plain-text end and the TLS client's address (for logs and per-IP limits).
using PlainAccept = std::function<void(boost::asio::ip::tcp::socket, std::string remote_address)>;

// Takes an accepted TCP connection on `worker`'s thread: handshakes with `ctx`
// (failures are counted in tls_counters() and logged at debug) and, when it
// succeeds, calls `on_plain` and pumps until either side closes.
void start_tls_session(Worker& worker, boost::asio::ip::tcp::socket socket, TlsContextPtr ctx,
                       PlainAccept on_plain, const TlsOptions& options = {});

}  // namespace sb::net
