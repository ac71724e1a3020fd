#include "api/node_endpoint.hpp"

#include <unistd.h>

#include <set>

#include "api/api_json.hpp"
#include "gateways/intra_service/sse_server.hpp"

namespace sb::api {

namespace json = boost::json;

std::string default_node_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "node") + "-" + std::to_string(getpid());
}

void handle_node(const net::HttpRequest& req, const NodeInfo& info, Presence& presence,
                 const intra::SseServer& sse, Respond respond) {
  if (req.method != "GET") return respond(net::api_error(405, "method_not_allowed", "use GET"));
  size_t sse_subs = 0;
  for (auto& s : sse.streams()) sse_subs += s.subscribers;
  presence.snapshot([respond = std::move(respond), &info, sse_subs](PresenceSnapshot s) {
    std::set<std::string> users, nsps;
    for (auto& i : s.sockets) {
      if (!i.user.empty()) users.insert(i.user);
      nsps.insert(i.nsp);
    }
    using namespace std::chrono;
    const auto uptime = duration_cast<seconds>(steady_clock::now() - info.started).count();
    const auto started = duration_cast<seconds>(info.started_at.time_since_epoch()).count();
    json::array namespaces;
    for (auto& n : nsps) namespaces.push_back(json::string(n));
    json::object out{
        {"id", info.id},
        {"version", info.version},
        {"started_at", started},
        {"uptime_s", uptime},
        {"workers", info.workers},
        {"connections", json::object{{"sockets", s.sockets.size()},
                                     {"users", users.size()},
                                     {"sse_subscriptions", sse_subs}}},
        {"active_namespaces", std::move(namespaces)},
    };
    if (!s.node.empty()) {
      json::array others;
      for (auto& h : s.remote) others.push_back(json::string(h.uid));
      out["cluster"] = json::object{{"node", s.node}, {"nodes", std::move(others)}};
    }
    respond(json_response(out));
  });
}

}  // namespace sb::api
