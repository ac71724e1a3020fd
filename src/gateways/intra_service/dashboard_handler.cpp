#include "gateways/intra_service/dashboard_handler.hpp"

#include "gateways/intra_service/dashboard_assets.hpp"

namespace sb::intra {

net::HttpResponse serve_dashboard(const net::HttpRequest& req, bool authorized) {
  if (req.method != "GET" && req.method != "HEAD")
    return net::api_error(405, "method_not_allowed", "use GET");
  std::string_view name = req.path;
  name.remove_prefix(std::string_view("/dashboard").size());
  if (!name.empty() && name[0] == '/') name.remove_prefix(1);
  if (name.empty()) name = "index.html";
  const EmbeddedAsset* a = find_dashboard_asset(name);
  if (!a) return net::api_error(404, "not_found", "no dashboard file " + std::string(name));
  // Static files carry nothing secret; the page (and its data) need the key.
  if (!authorized && name == "index.html") {
    net::HttpResponse r;
    r.status = 401;
    r.header("Content-Type", "text/html; charset=utf-8");
    r.header("Cache-Control", "no-store");
    r.body =
        "<!doctype html><meta charset=utf-8><title>Switchboard dashboard</title>"
        "<body style=\"font:15px system-ui;margin:3em\"><h1>Dashboard locked</h1>"
        "<p>Open <code>/dashboard?key=&lt;API key&gt;</code> with one of the keys in "
        "<code>api.keys</code>, or set <code>dashboard.auth = \"none\"</code> on a "
        "development server.</p>";
    return r;
  }
  net::HttpResponse r;
  r.header("Content-Type", std::string(a->content_type));
  r.header("Cache-Control", "no-cache");
  r.header("X-Content-Type-Options", "nosniff");
  if (name == "index.html") {
    r.header("Content-Security-Policy",
             "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "connect-src 'self'");
    r.header("Referrer-Policy", "no-referrer");
  }
  if (req.method != "HEAD") r.body = std::string(a->bytes);
  return r;
}

}  // namespace sb::intra
