#pragma once
// The /api/* front: API key check, then one endpoint per path (see README.md
// here and docs/http-api.md). Batches run their commands through the same
// dispatch, so a command behaves exactly like its own HTTP call.
#include <memory>
#include <string>
#include <vector>

#include "api/emit_endpoint.hpp"
#include "api/node_endpoint.hpp"
#include "api/presence.hpp"
#include "api/server_emit_endpoint.hpp"

namespace sb::sio {
class SioServer;
class InboxService;
}  // namespace sb::sio
namespace sb::intra {
class SseServer;
class EventBus;
}  // namespace sb::intra

namespace sb {
class KeyRing;
}

namespace sb::api {

struct ApiContext {
  std::vector<std::string> keys;            // none: the API is off (404 api_disabled)
  std::shared_ptr<const KeyRing> key_ring;  // when set, its API keys replace `keys` (SIGHUP)
  sio::SioServer* sio = nullptr;
  intra::SseServer* sse = nullptr;
  intra::EventBus* bus = nullptr;
  sio::InboxService* inbox = nullptr;  // null when the inbox is off
  std::unique_ptr<Presence> presence;  // this node, or the cluster (cluster_presence.hpp)
  ServerEmit server_emit;              // this node's bus, or every node's
  NodeInfo node;
};

class ApiRouter {
 public:
  explicit ApiRouter(ApiContext ctx) : ctx_(std::move(ctx)) {}
  // Any request under /api/: checks the key and calls `respond` once (maybe
  // from another thread).
  void handle(const net::HttpRequest& req, Respond respond);

 private:
  void dispatch(const net::HttpRequest& req, Respond respond);
  void batch(const net::HttpRequest& req, Respond respond);

  ApiContext ctx_;
};

}  // namespace sb::api
