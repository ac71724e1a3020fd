#include "gateways/intra_service/sse_request.hpp"

#include <algorithm>

#include "gateways/intra_service/stream_catalog.hpp"

namespace sb::intra {

int parse_log_level(std::string_view s) {
  if (s == "trace") return 0;
  if (s == "debug") return 1;
  if (s == "info") return 2;
  if (s == "warn" || s == "warning") return 3;
  if (s == "error") return 4;
  if (s == "critical") return 5;
  return -1;
}

std::optional<SseRequestError> parse_sse_request(const net::HttpRequest& req, size_t max_topics,
                                                 SseRequest& out) {
  auto fail = [](int status, std::string code, std::string message) {
    return SseRequestError{status, std::move(code), std::move(message)};
  };
  out = {};
  std::string_view path = req.path;
  const std::string_view base = "/sse";
  if (path.substr(0, base.size()) != base) return fail(404, "not_found", "not an SSE path");
  path.remove_prefix(base.size());
  if (!path.empty() && path[0] == '/') path.remove_prefix(1);
  size_t topics = 0;
  for (auto& [k, v] : req.query)
    if (k == "topic") ++topics;
  if (topics + (path.empty() ? 0 : 1) > max_topics)
    return fail(400, "too_many_topics",
                "at most " + std::to_string(max_topics) + " streams per connection");
  auto add = [&](std::string_view name) -> std::optional<SseRequestError> {
    if (!StreamCatalog::valid_name(name))
      return fail(400, "invalid_stream",
                  "stream names are 1..200 characters of letters, digits and . _ : @ - + = ~");
    if (std::find(out.streams.begin(), out.streams.end(), name) == out.streams.end())
      out.streams.emplace_back(name);
    return std::nullopt;
  };
  if (!path.empty())
    if (auto e = add(path)) return e;
  for (auto& [k, v] : req.query)
    if (k == "topic")
      if (auto e = add(v)) return e;
  if (out.streams.empty())
    return fail(400, "no_stream", "name a stream: /sse/<stream> or /sse?topic=<stream>");

  std::string_view last = req.header("last-event-id");
  if (last.empty()) last = req.query_param("lastEventId");
  if (!last.empty()) {
    sse::EventPosition pos;
    auto err = sse::parse_event_id(last, pos, max_topics);
    if (err != sse::IdError::None)
      return fail(400, "invalid_last_event_id",
                  std::string("Last-Event-ID: ") + sse::to_string(err));
    if (pos.seqs.size() != out.streams.size())
      return fail(400, "invalid_last_event_id",
                  "Last-Event-ID has " + std::to_string(pos.seqs.size()) +
                      " position(s) but the connection has " + std::to_string(out.streams.size()) +
                      " stream(s)");
    out.last_event_id = std::move(pos);
  }
  if (req.has_query_param("level")) {
    out.min_level = parse_log_level(req.query_param("level"));
    if (out.min_level < 0)
      return fail(400, "invalid_level", "level: expected trace|debug|info|warn|error|critical");
  }
  if (req.has_query_param("history")) {
    std::string_view h = req.query_param("history");
    size_t n = 0;
    bool ok = !h.empty() && h.size() <= 9;
    for (char c : h) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) n = n * 10 + static_cast<size_t>(c - '0');
    }
    if (!ok) return fail(400, "invalid_history", "history: expected a count of events");
    out.history = n;
  }
  std::string_view auth = req.header("authorization");
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer "))
    out.token = std::string(auth.substr(7));
  else if (req.has_query_param("token"))
    out.token = std::string(req.query_param("token"));
  return std::nullopt;
}

}  // namespace sb::intra
