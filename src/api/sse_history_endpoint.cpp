#include "api/sse_history_endpoint.hpp"

#include <charconv>

#include "api/api_json.hpp"
#include "gateways/intra_service/sse_server.hpp"
#include "protocol/sse_codec.hpp"

namespace sb::api {

namespace json = boost::json;

net::HttpResponse handle_sse_history(const net::HttpRequest& req, std::string_view stream,
                                     const intra::SseServer& sse) {
  size_t limit = 100;
  if (req.has_query_param("limit")) {
    auto v = req.query_param("limit");
    size_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1000)
      return net::api_error(400, "invalid_request", "limit must be an integer in 1..1000");
    limit = n;
  }
  auto h = sse.history(stream, limit);
  if (!h.ok) return net::api_error(h.status, h.code, h.message);
  const std::string epoch = std::to_string(sse.epoch());
  json::array items;
  for (auto& m : h.events) {
    // The stored bytes are the wire fields: parse them back as a client would.
    sse::Parser p;
    std::vector<sse::ParsedEvent> ev;
    std::string text(m->fields());
    text += "\n";
    p.feed(text, ev);
    if (ev.empty()) continue;
    items.push_back(json::object{{"id", epoch + "-" + std::to_string(m->seq)},
                                 {"event", ev.front().event},
                                 {"data", ev.front().data}});
  }
  json::object body{{"stream", stream}, {"kept", h.kept}, {"items", std::move(items)}};
  body["last_id"] = h.last_seq ? json::value(epoch + "-" + std::to_string(h.last_seq)) : nullptr;
  return json_response(body);
}

}  // namespace sb::api
