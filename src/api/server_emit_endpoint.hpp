#pragma once
// POST /api/server-emit {"event", "data"?, "namespace"?, "timeout_ms"?}: Socket.IO's
// serverSideEmit with acks, from outside. Every node (this one included) emits
// `event` on its event bus with `data` and answers {"node", "delivered", "routed"}; the
// answers arriving within the timeout come back:
//   {"responses": [..], "nodes": <answered>, "nodes_expected": <live nodes>}
// Without a cluster it is this node's bus alone.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/emit_endpoint.hpp"

namespace sb::api {

struct ServerEmitResult {
  std::vector<boost::json::value> responses;
  size_t nodes = 1;
  size_t expected = 1;
};

// `data` = [event, ...args]; `timeout_ms` 0: the configured one. `done` once, any thread.
using ServerEmit = std::function<void(std::string nsp, boost::json::array data, uint32_t timeout_ms,
                                      std::function<void(ServerEmitResult)> done)>;

void handle_server_emit(const net::HttpRequest& req, const ServerEmit& emit, sio::SioServer& server,
                        Respond respond);

}  // namespace sb::api
