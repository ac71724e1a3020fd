#include "gateways/client/eio_server.hpp"

#include <openssl/rand.h>
#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <chrono>

#include "net/timing_wheel.hpp"
#include "net/worker.hpp"
#include "protocol/websocket_frame.hpp"

namespace sb::eio {

using boost::asio::ip::tcp;

static constexpr char kB64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char* error_message(ErrorCode c) {
  switch (c) {
    case ErrorCode::UnknownTransport:
      return "Transport unknown";
    case ErrorCode::UnknownSid:
      return "Session ID unknown";
    case ErrorCode::BadHandshakeMethod:
      return "Bad handshake method";
    case ErrorCode::BadRequest:
      return "Bad request";
    case ErrorCode::Forbidden:
      return "Forbidden";
    case ErrorCode::UnsupportedProtocolVersion:
      return "Unsupported protocol version";
  }
  return "Bad request";
}

std::string websocket_accept_response(
    std::string_view client_key, const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r += ws::accept_key(client_key);
  r += "\r\n";
  for (auto& [k, v] : extra) r += k + ": " + v + "\r\n";
  r += "\r\n";
  return r;
}

std::string raw_upgrade_refusal(std::string_view message, int status,
                                std::string_view content_type) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + net::status_reason(status) +
                  "\r\nConnection: close\r\nContent-type: ";
  r += content_type;
  r += "\r\n";
  if (status == 429 || status == 503) r += "Retry-After: 1\r\n";
  r += "Content-Length: " + std::to_string(message.size()) + "\r\n\r\n";
  r += message;
  return r;
}

// Writes `data` on a socket that is not (or no longer) an HTTP connection, then closes it.
static void write_raw_and_close(net::WsConnection::Socket sock, std::string data) {
  auto s = std::make_shared<net::WsConnection::Socket>(std::move(sock));
  auto buf = std::make_shared<std::string>(std::move(data));
  boost::asio::async_write(*s, boost::asio::buffer(*buf),
                           [s, buf](const boost::system::error_code&, size_t) {
                             boost::system::error_code ec;
                             s->shutdown(tcp::socket::shutdown_both, ec);
                             s->close(ec);
                           });
}

EioServer::EioServer(std::vector<net::Worker*> workers, EioOptions options, CorsPolicy cors,
                     net::WsLimits ws_limits, AppFactory factory)
    : workers_(std::move(workers)),
      options_(options),
      cors_(std::move(cors)),
      ws_limits_(ws_limits),
      factory_(std::move(factory)),
      sessions_(workers_.size()),
      admission_(AdmissionLimits{options_.max_connections, options_.max_connections_per_ip,
                                 options_.handshakes_per_second, options_.handshake_burst}) {
  ws_limits_.max_message_bytes = options_.max_payload;
}

EioServer::~EioServer() = default;

std::string EioServer::new_sid(unsigned worker) const {
  // Two characters name the owning worker; 18 random ones make it unguessable.
  unsigned char rnd[18];
  RAND_bytes(rnd, sizeof rnd);
  std::string sid;
  sid.reserve(20);
  sid.push_back(kB64Url[(worker >> 6) & 63]);
  sid.push_back(kB64Url[worker & 63]);
  for (unsigned char c : rnd) sid.push_back(kB64Url[c & 63]);
  return sid;
}

int EioServer::worker_of(const std::string& sid) {
  if (sid.size() != 20) return -1;
  auto val = [](char c) -> int {
    const char* p = std::char_traits<char>::find(kB64Url, 64, c);
    return p ? static_cast<int>(p - kB64Url) : -1;
  };
  int hi = val(sid[0]), lo = val(sid[1]);
  if (hi < 0 || lo < 0) return -1;
  return (hi << 6) | lo;
}

bool EioServer::origin_allowed(std::string_view origin) const {
  // Only browsers send Origin, and they cannot lie about it: the check stops
  // other sites' pages (cross-site WebSocket hijacking), not other programs.
  if (options_.allowed_origins.empty() || origin.empty()) return true;
  for (auto& o : options_.allowed_origins)
    if (o == "*" || o == origin) return true;
  return false;
}

std::string EioServer::open_packet(std::string_view sid, bool polling) const {
  std::string s = "0{\"sid\":\"";
  s += sid;
  s += "\",\"upgrades\":";
  s += (polling && options_.allow_websocket) ? "[\"websocket\"]" : "[]";
  s += ",\"pingInterval\":" + std::to_string(options_.ping_interval_ms);
  s += ",\"pingTimeout\":" + std::to_string(options_.ping_timeout_ms);
  s += ",\"maxPayload\":" + std::to_string(options_.max_payload) + "}";
  return s;
}

void EioServer::error(const std::shared_ptr<net::HttpConnection>& conn, ErrorCode code,
                      int status) {
  net::HttpResponse r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.body = "{\"code\":" + std::to_string(static_cast<int>(code)) + ",\"message\":\"" +
           error_message(code) + "\"}";
  conn->respond(std::move(r));
}

std::shared_ptr<EioSession> EioServer::find(unsigned worker, const std::string& sid) {
  auto& m = sessions_[worker];
  auto it = m.find(sid);
  return it == m.end() ? nullptr : it->second;
}

void EioServer::remove(unsigned worker, std::string_view sid) {
  auto& m = sessions_[worker];
  auto it = m.find(sid);
  if (it == m.end()) return;
  admission_.release(it->second->handshake().address());
  m.erase(it);
}

void EioServer::refuse_limit(const std::shared_ptr<net::HttpConnection>& conn, net::Limit limit,
                             bool upgrade) {
  // Engine.IO's own refusals (allowRequest) use code 4 with a message; the status
  // says whether the server is full (503) or this address asks too much (429).
  const int status = limit == net::Limit::Connections ? 503 : 429;
  const char* message = limit == net::Limit::Connections ? "Too many connections"
                        : limit == net::Limit::ConnectionsPerIp
                            ? "Too many connections from this address"
                            : "Too many handshakes";
  const std::string body = "{\"code\":4,\"message\":\"" + std::string(message) + "\"}";
  if (upgrade) return conn->write_and_close(raw_upgrade_refusal(body, status, "application/json"));
  net::HttpResponse r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.header("Retry-After", "1");
  r.body = body;
  conn->respond(std::move(r));
}

EioServer::TransportCounts EioServer::transport_counts(unsigned worker) const {
  TransportCounts c;
  for (auto& [sid, s] : sessions_[worker])
    (s->transport() == EioSession::Transport::WebSocket ? c.websocket : c.polling)++;
  return c;
}

void EioServer::close_all(unsigned worker, const char* reason) {
  auto copy = sessions_[worker];
  for (auto& [sid, s] : copy) s->close(reason);
}

void EioServer::handle(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req) {
  const std::string_view origin = req.header("origin");
  if (req.method == "OPTIONS") {
    net::HttpResponse r;
    r.status = 204;
    r.headers = cors_.preflight(origin, req.header("access-control-request-headers"));
    conn->respond(std::move(r));
    return;
  }
  auto cors_headers = cors_.headers(origin);
  const bool is_upgrade = req.upgrade_websocket;
  if (!origin_allowed(origin)) {
    // Engine.IO's answer to a refused request (allowRequest): 403, code 4.
    const std::string body = R"({"code":4,"message":"Forbidden"})";
    if (is_upgrade)
      return conn->write_and_close(raw_upgrade_refusal(body, 403, "application/json"));
    return error(conn, ErrorCode::Forbidden, 403);
  }
  auto refuse = [&](ErrorCode code) {
    if (is_upgrade)
      conn->write_and_close(raw_upgrade_refusal(error_message(code)));
    else
      error(conn, code);
  };
  conn->set_response_headers(cors_headers);

  const std::string_view transport = req.query_param("transport");
  const bool polling = transport == "polling" && options_.allow_polling;
  const bool websocket = transport == "websocket" && options_.allow_websocket;
  if (!polling && !websocket) return refuse(ErrorCode::UnknownTransport);

  if (req.has_query_param("sid")) {
    std::string sid(req.query_param("sid"));
    const int owner = worker_of(sid);
    if (owner < 0 || owner >= static_cast<int>(workers_.size()))
      return refuse(ErrorCode::UnknownSid);
    net::Worker& ow = *workers_[owner];
    if (websocket) {
      if (!is_upgrade) return refuse(ErrorCode::BadRequest);
      auto detached = conn->detach();
      if (detached.fd < 0) return;
      ow.dispatch([this, &ow, d = std::move(detached), r = std::move(req)]() mutable {
        upgrade(ow, std::move(d), std::move(r), false);
      });
      return;
    }
    if (is_upgrade) return refuse(ErrorCode::BadRequest);
    const bool get = req.method == "GET";
    if (!get && req.method != "POST") return refuse(ErrorCode::BadRequest);
    if (get) {
      std::weak_ptr<net::HttpConnection> weak = conn;
      conn->on_abort([this, &ow, sid, weak] {
        ow.dispatch([this, &ow, sid, weak] {
          auto c = weak.lock();
          auto s = find(ow.index(), sid);
          if (c && s) s->on_poll_aborted(c);
        });
      });
    }
    ow.dispatch([this, &ow, conn, sid = std::move(sid), get, body = std::move(req.body)] {
      auto s = find(ow.index(), sid);
      if (!s || s->expire_if_silent()) return error(conn, ErrorCode::UnknownSid);
      if (s->transport() != EioSession::Transport::Polling)
        return error(conn, ErrorCode::BadRequest);
      if (get)
        s->on_poll_get(conn);
      else
        s->on_poll_post(conn, body);
    });
    return;
  }

  if (req.method != "GET") return refuse(ErrorCode::BadHandshakeMethod);
  if (websocket && !is_upgrade) return refuse(ErrorCode::BadRequest);
  if (polling && is_upgrade) return refuse(ErrorCode::BadRequest);
  if (req.query_param("EIO") != "4") return refuse(ErrorCode::UnsupportedProtocolVersion);
  if (auto limit = admission_.admit(req.remote_address, net::TimingWheel::now_ms()))
    return refuse_limit(conn, *limit, is_upgrade);
  if (websocket) {
    auto& w = conn->worker();
    auto detached = conn->detach();
    if (detached.fd < 0) return admission_.release(req.remote_address);
    upgrade(w, std::move(detached), std::move(req), true);
    return;
  }
  handshake(conn, std::move(req), false);
}

static Handshake make_handshake(net::HttpRequest& req) {
  Handshake h(req.target, req.remote_address);
  // Kept for the session's life (handlers read them): drop what only served the upgrade.
  for (auto& [k, v] : req.headers) {
    if (k == "sec-websocket-key" || k == "sec-websocket-version" ||
        k == "sec-websocket-extensions" || k == "upgrade" || k == "connection" ||
        k == "cache-control" || k == "pragma")
      continue;
    h.add_header(k, v);
  }
  h.shrink_to_fit();
  h.issued_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  return h;
}

void EioServer::handshake(const std::shared_ptr<net::HttpConnection>& conn, net::HttpRequest&& req,
                          bool) {
  auto& w = conn->worker();
  const unsigned wi = w.index();
  auto sid = new_sid(wi);
  auto session = std::make_shared<EioSession>(*this, w, sid, make_handshake(req));
  sessions_[wi].emplace(session->sid(), session);
  session->set_app(factory_(*session));
  session->open_polling(conn);
}

void EioServer::upgrade(net::Worker& owner, net::HttpConnection::Detached detached,
                        net::HttpRequest req, bool new_session) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(detached.fd, reinterpret_cast<sockaddr*>(&ss), &len);
  net::WsConnection::Socket sock(owner.io().get_executor());
  boost::system::error_code ec;
  sock.assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), detached.fd, ec);
  if (ec) {
    ::close(detached.fd);
    if (new_session) admission_.release(req.remote_address);
    return;
  }
  const std::string_view key = req.header("sec-websocket-key");
  if (key.empty() || req.header("sec-websocket-version") != "13") {
    if (new_session) admission_.release(req.remote_address);
    return write_raw_and_close(std::move(sock), raw_upgrade_refusal("Bad request"));
  }

  std::shared_ptr<EioSession> session;
  if (!new_session) {
    session = find(owner.index(), std::string(req.query_param("sid")));
    if (!session)
      return write_raw_and_close(std::move(sock),
                                 raw_upgrade_refusal(error_message(ErrorCode::UnknownSid)));
  }
  auto extra = cors_.headers(req.header("origin"));
  auto response = websocket_accept_response(key, extra);
  auto ws = std::make_shared<net::WsConnection>(owner, std::move(sock), ws_limits_);
  ws->start(std::move(response));
  if (new_session) {
    auto sid = new_sid(owner.index());
    session = std::make_shared<EioSession>(*this, owner, sid, make_handshake(req));
    sessions_[owner.index()].emplace(session->sid(), session);
    session->set_app(factory_(*session));
    session->open_websocket(ws);
  } else if (!session->on_upgrade(ws)) {
    ws->close(ws::kClosePolicy, {}, "upgrade refused");
    return;
  }
  ws->read(std::move(detached.leftover));
}

}  // namespace sb::eio
