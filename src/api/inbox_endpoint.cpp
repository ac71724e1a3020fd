#include "api/inbox_endpoint.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <charconv>

#include "gateways/client/inbox_service.hpp"

namespace sb::api {

namespace json = boost::json;

static net::HttpResponse json_response(const json::object& body) {
  net::HttpResponse r;
  r.header("Content-Type", "application/json");
  r.header("Cache-Control", "no-store");
  r.body = json::serialize(body);
  return r;
}

static sio::InboxService::AnswerFn answer(Respond respond, bool with_ok) {
  return [respond = std::move(respond), with_ok](sio::InboxService::Answer a) {
    if (!a.ok) return respond(net::api_error(a.code == "stopping" ? 503 : 500, a.code, a.message));
    if (with_ok) a.body["ok"] = true;
    respond(json_response(a.body));
  };
}

void handle_inbox(const net::HttpRequest& req, std::string_view user, sio::InboxService* inbox,
                  Respond respond) {
  if (!inbox)
    return respond(net::api_error(404, "inbox_disabled", "the inbox is off ([inbox] enabled)"));
  if (user.empty() || user.size() > 256 || user.find('/') != std::string_view::npos)
    return respond(net::api_error(400, "invalid_user", "expected /api/inbox/<user id>"));
  if (req.method == "DELETE") return inbox->delete_user(std::string(user), answer(respond, true));
  if (req.method != "GET")
    return respond(net::api_error(405, "method_not_allowed", "use GET or DELETE"));
  store::PageQuery q;
  q.user = std::string(user);
  q.limit = std::min<uint32_t>(50, inbox->options().max_page);
  if (req.has_query_param("limit")) {
    auto v = req.query_param("limit");
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > inbox->options().max_page)
      return respond(net::api_error(
          400, "invalid_request",
          "limit must be an integer in 1.." + std::to_string(inbox->options().max_page)));
    q.limit = n;
  }
  if (req.has_query_param("before")) {
    q.before = sio::InboxService::parse_id(json::string(req.query_param("before")));
    if (!q.before)
      return respond(net::api_error(400, "invalid_request", "before must be a notification id"));
  }
  if (req.has_query_param("unread_only")) {
    auto v = req.query_param("unread_only");
    if (v != "true" && v != "false" && v != "1" && v != "0")
      return respond(net::api_error(400, "invalid_request", "unread_only must be true or false"));
    q.unread_only = v == "true" || v == "1";
  }
  inbox->list(std::move(q), answer(std::move(respond), false));
}

}  // namespace sb::api
