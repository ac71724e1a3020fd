#pragma once
// The Engine.IO endpoint: validates requests (with the spec's error codes),
// creates sessions, and routes each request to the worker that owns its
// session (the worker index is encoded in the sid).
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateways/client/admission.hpp"
#include "gateways/client/cors_policy.hpp"
#include "gateways/client/eio_session.hpp"
#include "net/http_connection.hpp"
#include "net/http_request.hpp"
#include "net/websocket_connection.hpp"

namespace sb::eio {

enum class ErrorCode : int {
  UnknownTransport = 0,
  UnknownSid = 1,
  BadHandshakeMethod = 2,
  BadRequest = 3,
  Forbidden = 4,
  UnsupportedProtocolVersion = 5,
};

const char* error_message(ErrorCode c);

class EioServer {
 public:
  // Creates the application for a new session (on the session's worker).
  using AppFactory = std::function<std::unique_ptr<EioApp>(EioSession&)>;

  EioServer(std::vector<net::Worker*> workers, EioOptions options, CorsPolicy cors,
            net::WsLimits ws_limits, AppFactory factory);
  ~EioServer();

  // Entry point for every request under the endpoint's path (on the connection's worker).
  void handle(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req);

  const EioOptions& options() const { return options_; }
  const CorsPolicy& cors() const { return cors_; }
  const net::WsLimits& ws_limits() const { return ws_limits_; }

  // Session table of one worker; only that worker's thread touches it.
  std::shared_ptr<EioSession> find(unsigned worker, const std::string& sid);
  void remove(unsigned worker, std::string_view sid);
  size_t session_count(unsigned worker) const { return sessions_[worker].size(); }
  struct TransportCounts {
    size_t polling = 0;
    size_t websocket = 0;
  };
  // Sessions of this worker by current transport (on that worker: metrics).
  TransportCounts transport_counts(unsigned worker) const;

  // Closes every session of this worker (shutdown).
  void close_all(unsigned worker, const char* reason);

  std::string open_packet(std::string_view sid, bool polling) const;

 private:
  void handshake(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req,
                 bool websocket);
  void upgrade(net::Worker& owner, net::HttpConnection::Detached detached, net::HttpRequest req,
               bool new_session);
  void error(const std::shared_ptr<net::HttpConnection>& conn, ErrorCode code, int status = 400);
  // A new session refused by a limit: 503 (server full) or 429 (this address).
  void refuse_limit(const std::shared_ptr<net::HttpConnection>& conn, net::Limit limit,
                    bool upgrade);
  std::string new_sid(unsigned worker) const;
  bool origin_allowed(std::string_view origin) const;
  static int worker_of(const std::string& sid);

  std::vector<net::Worker*> workers_;
  EioOptions options_;
  CorsPolicy cors_;
  net::WsLimits ws_limits_;
  AppFactory factory_;
  // Keyed by a view of the session's own sid (the session outlives its entry).
  std::vector<std::unordered_map<std::string_view, std::shared_ptr<EioSession>, net::IdHash>>
      sessions_;
  Admission admission_;
};

// The 101 response for a WebSocket handshake, with extra headers.
std::string websocket_accept_response(
    std::string_view client_key, const std::vector<std::pair<std::string, std::string>>& extra);

// Raw text answer on a socket that asked to upgrade and is refused.
std::string raw_upgrade_refusal(std::string_view message, int status = 400,
                                std::string_view content_type = "text/html");

}  // namespace sb::eio
