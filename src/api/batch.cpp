#include "api/batch.hpp"

#include <boost/json/serialize.hpp>

#include "api/api_json.hpp"

namespace sb::api {

namespace json = boost::json;

static BatchCommand parse_command(const json::value& v) {
  BatchCommand c;
  auto fail = [&](std::string_view code, std::string message) {
    c.error = net::api_error(400, code, message);
    return c;
  };
  if (!v.is_object()) return fail("invalid_request", "a command must be a JSON object");
  json::object o = v.as_object();
  auto* name = o.if_contains("command");
  if (!name || !name->is_string()) return fail("invalid_request", "\"command\" must be a string");
  const std::string cmd(name->as_string());
  o.erase("command");
  // The name of a stream or bus event becomes the path, as in the plain call.
  auto take = [&](const char* key, std::string& out) -> bool {
    auto* s = o.if_contains(key);
    if (!s || !s->is_string() || s->as_string().empty()) return false;
    out = std::string(s->as_string());
    o.erase(key);
    return true;
  };
  c.request.method = "POST";
  if (cmd == "emit" || cmd == "broadcast" || cmd == "disconnect") {
    c.request.path = "/api/" + cmd;
    c.request.body = json::serialize(o);
  } else if (cmd == "sse_publish") {
    std::string stream;
    if (!take("stream", stream))
      return fail("invalid_request", "\"stream\" must be a non-empty string");
    c.request.path = "/api/sse/" + stream;
    c.request.body = json::serialize(o);
  } else if (cmd == "bus_emit") {
    std::string event;
    if (!take("name", event)) return fail("invalid_request", "\"name\" must be a non-empty string");
    c.request.path = "/api/events/" + event;
    auto* p = o.if_contains("payload");
    c.request.body = p ? json::serialize(*p) : std::string();
  } else {
    return fail("unknown_command", "unknown command \"" + cmd +
                                       "\" (emit, broadcast, disconnect, sse_publish, bus_emit)");
  }
  c.request.target = c.request.path;
  return c;
}

BatchParse parse_batch(std::string_view body, size_t max_commands) {
  BatchParse out;
  net::HttpResponse err;
  auto o = parse_json_object(body, err);
  if (!o) {
    out.error = std::move(err);
    return out;
  }
  auto* cmds = o->if_contains("commands");
  if (!cmds || !cmds->is_array()) {
    out.error = net::api_error(400, "invalid_request", "\"commands\" must be an array");
    return out;
  }
  auto& a = cmds->as_array();
  if (a.empty()) {
    out.error = net::api_error(400, "invalid_request", "\"commands\" is empty");
    return out;
  }
  if (a.size() > max_commands) {
    out.error = net::api_error(413, "too_many_commands",
                               "at most " + std::to_string(max_commands) + " commands per batch");
    return out;
  }
  for (auto& v : a) out.commands.push_back(parse_command(v));
  return out;
}

}  // namespace sb::api
