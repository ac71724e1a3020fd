#include "api/presence.hpp"

#include <atomic>
#include <mutex>

#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"

namespace sb::api {

namespace {

// Gathers one part per worker and calls `done` with all of them after the last.
template <class Part>
struct Gather {
  std::mutex mu;
  std::vector<Part> parts;
  size_t left;
  std::function<void(std::vector<Part>)> done;
  Gather(size_t n, std::function<void(std::vector<Part>)> d)
      : parts(n), left(n), done(std::move(d)) {}
  void put(size_t i, Part p) {
    bool last;
    {
      std::lock_guard lk(mu);
      parts[i] = std::move(p);
      last = --left == 0;
    }
    if (last) done(std::move(parts));
  }
};

class LocalPresence final : public Presence {
 public:
  LocalPresence(sio::SioServer& server, unsigned workers) : server_(server), workers_(workers) {}

  void snapshot(std::function<void(PresenceSnapshot)> done) override {
    auto g = std::make_shared<Gather<std::vector<SocketInfo>>>(
        workers_, [done = std::move(done)](std::vector<std::vector<SocketInfo>> parts) {
          PresenceSnapshot s;
          for (auto& p : parts)
            for (auto& i : p) s.sockets.push_back(std::move(i));
          done(std::move(s));
        });
    for (unsigned w = 0; w < workers_; ++w) {
      server_.post(w, [this, g, w] {
        std::vector<SocketInfo> out;
        for (auto& [nsp, shard] : server_.shards(w))
          for (auto& [id, s] : shard.sockets)
            out.push_back(
                SocketInfo{nsp, std::string(s->id()), s->user_id(), s->rooms(), w, std::string()});
        g->put(w, std::move(out));
      });
    }
  }

  void sockets(std::string nsp, std::vector<std::string> rooms,
               std::function<void(SocketsResult)> done) override {
    snapshot([nsp = std::move(nsp), rooms = std::move(rooms),
              done = std::move(done)](PresenceSnapshot s) {
      SocketsResult r;
      for (auto& i : s.sockets) {
        if (i.nsp != nsp) continue;
        bool in = rooms.empty();
        for (auto& want : rooms)
          for (auto& have : i.rooms) in = in || have == want;
        if (in) r.sockets.push_back(std::move(i));
      }
      done(std::move(r));
    });
  }

  void disconnect_user(std::string user, std::optional<std::string> nsp, bool close,
                       std::function<void(size_t)> done) override {
    auto g = std::make_shared<Gather<size_t>>(workers_,
                                              [done = std::move(done)](std::vector<size_t> parts) {
                                                size_t n = 0;
                                                for (auto p : parts) n += p;
                                                done(n);
                                              });
    const std::string room = "user:" + user;
    for (unsigned w = 0; w < workers_; ++w) {
      server_.post(w, [this, g, w, room, nsp, close] {
        // Collected first: a disconnect changes the room sets being walked.
        std::vector<std::weak_ptr<sio::Socket>> targets;
        for (auto& [name, shard] : server_.shards(w)) {
          if (nsp && name != *nsp) continue;
          if (auto it = shard.rooms.find(room); it != shard.rooms.end())
            for (auto* s : it->second) targets.push_back(s->weak_from_this());
        }
        size_t n = 0;
        for (auto& t : targets)
          if (auto s = t.lock()) {
            s->disconnect(close);
            ++n;
          }
        g->put(w, n);
      });
    }
  }

 private:
  sio::SioServer& server_;
  unsigned workers_;
};

}  // namespace

std::unique_ptr<Presence> make_local_presence(sio::SioServer& server, unsigned workers) {
  return std::make_unique<LocalPresence>(server, workers);
}

void Presence::rooms(std::string nsp, std::function<void(RoomsResult)> done) {
  sockets(nsp, {}, [nsp, done = std::move(done)](SocketsResult s) {
    RoomsResult r;
    r.nodes = s.nodes;
    r.expected = s.expected;
    for (auto& i : s.sockets) {
      if (i.nsp != nsp) continue;
      for (auto& room : i.rooms)
        if (room != i.id) ++r.rooms[room];
    }
    done(std::move(r));
  });
}

}  // namespace sb::api
