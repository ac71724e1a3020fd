#include "api/cluster_presence.hpp"

#include <set>

#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/cluster_heartbeat.hpp"
#include "gateways/inter_service/cluster_requests.hpp"

namespace sb::api {

namespace {

class ClusterPresence final : public Presence {
 public:
  ClusterPresence(std::unique_ptr<Presence> local, const inter_service::ClusterHeartbeat& hb,
                  inter_service::ClusterRequests& requests, sio::SioServer& server)
      : local_(std::move(local)), hb_(hb), requests_(requests), server_(server) {}

  void snapshot(std::function<void(PresenceSnapshot)> done) override {
    local_->snapshot([this, done = std::move(done)](PresenceSnapshot s) {
      s.node = hb_.uid();
      for (auto& i : s.sockets) i.node = s.node;
      s.remote = hb_.nodes().alive(inter_service::ClusterNodeTable::Clock::now());
      done(std::move(s));
    });
  }

  void disconnect_user(std::string user, std::optional<std::string> nsp, bool close,
                       std::function<void(size_t)> done) override {
    // What the other nodes hold, by their last heartbeats: the count reported,
    // and the namespaces to send the disconnect to.
    size_t remote = 0;
    std::set<std::string> nsps;
    for (auto& h : hb_.nodes().alive(inter_service::ClusterNodeTable::Clock::now()))
      for (auto& n : h.namespaces) {
        if (nsp && n.nsp != *nsp) continue;
        auto it = n.users.find(user);
        if (it == n.users.end()) continue;
        remote += it->second;
        nsps.insert(n.nsp);
      }
    local_->disconnect_user(user, nsp, close,
                            [this, user, nsps, close, remote, done = std::move(done)](size_t n) {
                              for (auto& name : nsps) {
                                if (!server_.find_namespace(name)) continue;
                                sio::SocketsOp op;
                                op.kind = sio::SocketsOpKind::disconnect;
                                op.nsp = name;
                                op.rooms = {"user:" + user};
                                op.close = close;
                                // Published once; this node's part is already done (finds none).
                                server_.sockets_op(std::move(op));
                              }
                              done(n + remote);
                            });
  }

  void sockets(std::string nsp, std::vector<std::string> rooms,
               std::function<void(SocketsResult)> done) override {
    requests_.fetch_sockets(
        nsp, std::move(rooms), {}, [nsp, done = std::move(done)](inter_service::FetchResult f) {
          SocketsResult r;
          r.nodes = f.nodes;
          r.expected = f.expected;
          for (auto& t : f.truncated) r.truncated.push_back(PartialAnswer{t.node, t.total});
          r.sockets.reserve(f.sockets.size());
          for (auto& s : f.sockets)
            r.sockets.push_back(SocketInfo{nsp, std::move(s.id), std::move(s.user),
                                           std::move(s.rooms), 0, std::move(s.node)});
          done(std::move(r));
        });
  }

  void rooms(std::string nsp, std::function<void(RoomsResult)> done) override {
    requests_.room_counts(std::move(nsp),
                          [done = std::move(done)](inter_service::RoomCountsResult c) {
                            RoomsResult r;
                            r.rooms = std::move(c.rooms);
                            r.nodes = c.nodes;
                            r.expected = c.expected;
                            for (auto& t : c.truncated)
                              r.truncated.push_back(PartialAnswer{t.node, t.total});
                            done(std::move(r));
                          });
  }

 private:
  std::unique_ptr<Presence> local_;
  const inter_service::ClusterHeartbeat& hb_;
  inter_service::ClusterRequests& requests_;
  sio::SioServer& server_;
};

}  // namespace

std::unique_ptr<Presence> make_cluster_presence(std::unique_ptr<Presence> local,
                                                const inter_service::ClusterHeartbeat& heartbeat,
                                                inter_service::ClusterRequests& requests,
                                                sio::SioServer& server) {
  return std::make_unique<ClusterPresence>(std::move(local), heartbeat, requests, server);
}

}  // namespace sb::api
