#include "net/http_parser.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <optional>

namespace sb::net {

namespace http = boost::beast::http;

bool header_has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    auto part = value.substr(0, comma);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (part.size() == token.size()) {
      bool eq = true;
      for (size_t i = 0; i < part.size() && eq; ++i)
        eq = std::tolower(static_cast<unsigned char>(part[i])) == token[i];
      if (eq) return true;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

struct HttpRequestParser::Impl {
  std::optional<http::request_parser<http::string_body>> p;
};

HttpRequestParser::HttpRequestParser() : impl_(std::make_unique<Impl>()) {
  reset(16 * 1024, 1000000);
}

HttpRequestParser::~HttpRequestParser() = default;

void HttpRequestParser::reset(size_t max_header_bytes, uint64_t max_body_bytes) {
  auto& p = impl_->p.emplace();
  p.header_limit(static_cast<uint32_t>(max_header_bytes));
  p.body_limit(max_body_bytes);
  p.eager(true);
}

HttpRequestParser::Status HttpRequestParser::feed(std::string& in, HttpRequest& out) {
  auto& p = *impl_->p;
  while (!in.empty() && !p.is_done()) {
    boost::system::error_code ec;
    size_t used = p.put(boost::asio::buffer(in.data(), in.size()), ec);
    in.erase(0, used);
    if (ec == http::error::need_more) break;
    if (ec == http::error::body_limit) return Status::BodyTooLarge;
    if (ec == http::error::header_limit) return Status::HeadersTooLarge;
    if (ec) return Status::BadRequest;
    if (used == 0) break;
  }
  if (!p.is_done()) return Status::NeedMore;

  auto msg = p.release();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  if (!parse_target(req.target, req.path, req.query)) return Status::BadRequest;
  req.headers.reserve(8);
  for (auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.keep_alive = msg.keep_alive();
  req.upgrade_websocket = req.method == "GET" &&
                          header_has_token(req.header("upgrade"), "websocket") &&
                          header_has_token(req.header("connection"), "upgrade");
  req.body = std::move(msg.body());
  out = std::move(req);
  return Status::Done;
}

}  // namespace sb::net
