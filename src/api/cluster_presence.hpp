#pragma once
// Presence across a [cluster]: this node's sockets (LocalPresence) plus the
// other live nodes' counts from their heartbeats (ClusterHeartbeat), so
// /api/presence, /api/presence/<user> and /api/presence/stats answer for the
// whole cluster; sockets() (/api/rooms, /api/rooms/<room>/sockets) asks every
// node (fetchSockets over ClusterRequests); disconnect_user() cuts this node's
// sockets and publishes one disconnectSockets per namespace for the others.
#include <memory>

#include "api/presence.hpp"

namespace sb::inter_service {
class ClusterHeartbeat;
class ClusterRequests;
}  // namespace sb::inter_service

namespace sb::api {

std::unique_ptr<Presence> make_cluster_presence(std::unique_ptr<Presence> local,
                                                const inter_service::ClusterHeartbeat& heartbeat,
                                                inter_service::ClusterRequests& requests,
                                                sio::SioServer& server);

}  // namespace sb::api
