#pragma once
// One Engine.IO v4 session: transports (long-polling, WebSocket, the upgrade
// between them), heartbeat and close. Lives on its owner worker; every method
// runs on that worker's thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_connection.hpp"
#include "net/inline_id.hpp"
#include "net/timing_wheel.hpp"
#include "net/websocket_connection.hpp"
#include "net/wire.hpp"

namespace sb::net {
class Worker;
}

namespace sb::eio {

class EioServer;
class EioSession;

// What the handshake request looked like (Socket.IO exposes it as socket.handshake).
// Kept for the session's life, so compact: one block "url\0address\0" followed by
// "name\0value\0" pairs (one allocation instead of two strings per field); the
// query stays inside the url.
class Handshake {
 public:
  Handshake(std::string_view url, std::string_view address);
  std::string_view url() const;
  std::string_view address() const;
  // `lower`: the header name in lower case (as the parser stores it).
  std::string_view header(std::string_view lower) const;
  void add_header(std::string_view lower, std::string_view value);
  void shrink_to_fit() { block_.shrink_to_fit(); }

  uint64_t issued_ms = 0;

 private:
  std::string block_;
};

// The application riding on a session (Socket.IO, or the test-suite echo).
class EioApp {
 public:
  virtual ~EioApp() = default;
  virtual void on_message(std::string_view text) = 0;
  virtual void on_binary(std::string_view bytes) = 0;
  virtual void on_close(const char* reason) = 0;
};

struct EioOptions {
  uint32_t ping_interval_ms = 25000;
  uint32_t ping_timeout_ms = 20000;
  uint32_t upgrade_timeout_ms = 10000;
  uint64_t max_payload = 1000000;
  bool allow_polling = true;
  bool allow_websocket = true;
  // [limits]: sessions in all and per address, handshakes per second per address.
  uint32_t max_connections = 0;  // 0 = no limit (the same for the others)
  uint32_t max_connections_per_ip = 0;
  uint32_t handshakes_per_second = 0;
  uint32_t handshake_burst = 0;
  // engineio.allowed_origins: empty = any.
  std::vector<std::string> allowed_origins;
};

// The heartbeat is the session's embedded wheel timer (nothing allocated per ping).
class EioSession : public std::enable_shared_from_this<EioSession>,
                   public net::WsHandler,
                   private net::WheelTimer {
 public:
  enum class Transport : uint8_t { Polling, WebSocket };

  EioSession(EioServer& server, net::Worker& worker, std::string sid, Handshake handshake);
  ~EioSession() override;

  std::string_view sid() const { return sid_; }
  const Handshake& handshake() const { return handshake_; }
  Transport transport() const { return transport_; }
  net::Worker& worker() { return worker_; }
  bool closed() const { return state_ == State::Closed; }

  void set_app(std::unique_ptr<EioApp> app) { app_ = std::move(app); }
  EioApp* app() { return app_.get(); }

  // Opening: over polling (answers the handshake GET) or over a WebSocket.
  void open_polling(const std::shared_ptr<net::HttpConnection>& conn);
  void open_websocket(std::shared_ptr<net::WsConnection> ws);

  // Requests for an existing session.
  void on_poll_get(const std::shared_ptr<net::HttpConnection>& conn);
  void on_poll_post(const std::shared_ptr<net::HttpConnection>& conn, std::string_view body);
  void on_poll_aborted(const std::shared_ptr<net::HttpConnection>& conn);
  // An upgrade WebSocket for this session. Returns false when refused.
  bool on_upgrade(std::shared_ptr<net::WsConnection> ws);

  // Outgoing packets (already Engine.IO-encoded). Volatile ones are dropped when
  // the transport cannot take them right now.
  void send(const net::WirePtr& wire);
  bool writable() const;

  // Server-side close: flushes what is queued, then closes.
  void close(const char* reason);
  // Closes the transport abruptly (like a network drop).
  void drop(const char* reason);
  // Closes the session if its pong is overdue (the timer may lag by a tick);
  // true when the session is closed and a request for it must be refused.
  bool expire_if_silent();

  // net::WsHandler
  void on_ws_message(bool binary, std::string_view data) override;
  void on_ws_closed(const char* reason) override;

 private:
  enum class State : uint8_t { Open, Closing, Closed };

  void handle_packet_text(std::string_view text, bool from_probe);
  void handle_binary(std::string_view bytes);
  void flush_poll();
  void heartbeat();
  void arm_heartbeat(uint64_t due_ms);
  void on_timer() override;
  void finish_upgrade();
  void on_closed(const char* reason);
  void respond_text(const std::shared_ptr<net::HttpConnection>& conn, std::string body);

  EioServer& server_;
  net::Worker& worker_;
  net::InlineId sid_;
  Handshake handshake_;
  std::unique_ptr<EioApp> app_;
  Transport transport_ = Transport::Polling;
  State state_ = State::Open;
  bool awaiting_pong_ = false;  // heartbeat (here: it fills the padding after the state)

  // Polling transport state; none for a WebSocket-only session or after an upgrade.
  struct PollState {
    std::shared_ptr<net::HttpConnection> pending_get;
    std::vector<net::WirePtr> queue;
    uint64_t bytes = 0;     // bounded like a WebSocket's outbound queue
    bool slow_cut = false;  // past the bound: dropping until the posted close runs
    bool probed = false;    // "2probe" answered, waiting for "5"
    std::shared_ptr<net::WsConnection> probe;  // the upgrade WebSocket being probed
  };
  PollState& poll();
  std::shared_ptr<net::HttpConnection> take_get();  // the waiting GET, if any
  std::unique_ptr<PollState> poll_;
  // The live WebSocket (the one being probed during an upgrade is in PollState)
  std::shared_ptr<net::WsConnection> ws_;

  // Heartbeat: one wheel entry at a time, re-armed lazily.
  uint64_t next_ping_ms_ = 0;
  uint64_t pong_deadline_ms_ = 0;
};

}  // namespace sb::eio
