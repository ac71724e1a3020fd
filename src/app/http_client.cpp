#include "app/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpUrl parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0)
    throw std::invalid_argument("https:// is not supported by this client; use http://");
  if (url.rfind(scheme, 0) != 0)
    throw std::invalid_argument("expected a URL like http://127.0.0.1:3000, got \"" + url + "\"");
  std::string rest = url.substr(scheme.size());
  HttpUrl u;
  const auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) u.base = rest.substr(slash);
  while (!u.base.empty() && u.base.back() == '/') u.base.pop_back();
  if (!hostport.empty() && hostport[0] == '[') {  // [::1]:3000
    const auto close = hostport.find(']');
    if (close == std::string::npos) throw std::invalid_argument("bad IPv6 host in \"" + url + "\"");
    u.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':')
      u.port = hostport.substr(close + 2);
  } else if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
    u.host = hostport.substr(0, colon);
    u.port = hostport.substr(colon + 1);
  } else {
    u.host = hostport;
  }
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("bad host or port in \"" + url + "\"");
  return u;
}

HttpResult http_call(const HttpUrl& url, const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, std::chrono::milliseconds timeout) {
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) throw std::invalid_argument("unknown HTTP method " + method);
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  // Async steps run to completion one at a time: the stream's timer then
  // bounds each of them (blocking calls would have no timeout).
  boost::system::error_code ec;
  auto step = [&](const char* what) {
    ioc.restart();
    ioc.run();
    if (ec)
      throw std::runtime_error(std::string(what) + " " + url.host + ":" + url.port + ": " +
                               ec.message());
  };
  asio::ip::tcp::resolver::results_type endpoints;
  resolver.async_resolve(url.host, url.port, [&](boost::system::error_code e, auto r) {
    ec = e;
    endpoints = r;
  });
  step("cannot resolve");
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](boost::system::error_code e, auto&&) { ec = e; });
  step("cannot connect to");
  http::request<http::string_body> req{verb, url.base + path, 11};
  req.set(http::field::host, url.host + ":" + url.port);
  req.set(http::field::user_agent, "switchboard-cli");
  for (auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::async_write(stream, req, [&](boost::system::error_code e, size_t) { ec = e; });
  step("cannot send to");
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::async_read(stream, buf, parser, [&](boost::system::error_code e, size_t) { ec = e; });
  step("no answer from");
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  auto res = parser.release();
  return HttpResult{static_cast<int>(res.result_int()), std::move(res.body())};
}

}  // namespace sb
