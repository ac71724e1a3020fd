// The fan-out path: encode_event (one event encoded once into shared wires) and
// SioServer's per-worker delivery to the members of a room.
//
// Delivery runs through the real objects: SioServer::broadcast ->
// Worker::dispatch -> SioServer::deliver_local (room lookup, mark-seq dedupe)
// -> Socket::send_wires -> SioClient::send -> EioSession::send, which ends in
// the session's per-connection queue push. Nothing is mirrored. The sessions
// use the long-polling transport because its queue can be drained without a
// socket (a GET answered on a never-started HttpConnection); over WebSocket the
// last hop is WsConnection::send (a push on its queue plus byte accounting),
// which needs a live socket to drain. Draining is done every kDrainEvery
// broadcasts with the timer paused, so queues stay short as in steady state.
#include <benchmark/benchmark.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "gateways/client/eio_server.hpp"
#include "gateways/client/eio_session.hpp"
#include "gateways/client/sio_client.hpp"
#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"
#include "inputs.hpp"
#include "net/http_connection.hpp"
#include "net/worker.hpp"

namespace {

namespace json = boost::json;
using namespace sb;

json::array chat_args() {
  return json::array{json::object{{"room", "r1"}, {"text", "hello world"}, {"ts", 1700000000000}}};
}

json::array nested_args() {
  json::value v = json::parse(sb::bench::nested_event_json());
  json::array a = std::move(v.as_array());
  a.erase(a.begin());  // the event name
  return a;
}

// ---- encode_event -------------------------------------------------------------

void encode_loop(benchmark::State& state, const json::array& args,
                 const std::vector<sio::Bytes>& attachments) {
  size_t bytes = 0;
  for (auto _ : state) {
    auto wires = sio::encode_event("/", "chat", args, attachments);
    benchmark::DoNotOptimize(wires.data());
    bytes = 0;
    for (auto& w : wires) bytes += w->bytes.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

void BM_EncodeEvent_Small(benchmark::State& state) {
  encode_loop(state, chat_args(), {});
}
BENCHMARK(BM_EncodeEvent_Small);

void BM_EncodeEvent_Nested(benchmark::State& state) {
  encode_loop(state, nested_args(), {});
}
BENCHMARK(BM_EncodeEvent_Nested);

// BINARY_EVENT with one 16 KiB attachment: the packet wire plus one binary wire.
void BM_EncodeEvent_Binary(benchmark::State& state) {
  json::array args{
      json::object{{"name", "a.png"}, {"data", json::object{{"_placeholder", true}, {"num", 0}}}}};
  encode_loop(state, args, {sb::bench::random_bytes(16 << 10)});
}
BENCHMARK(BM_EncodeEvent_Binary);

// ---- delivery -------------------------------------------------------------------

constexpr size_t kDrainEvery = 16;

// One worker with `members` + 1 connected sockets in namespace "/", all in room
// "r1" and their own "user:<id>" room, as SioClient::connect leaves them; socket
// 0 is the sender (excluded, as socket.to(room) / socket.broadcast do).
class Fixture {
 public:
  explicit Fixture(size_t members)
      : worker_(0, kNeverTick),
        eio_({&worker_}, eio::EioOptions{}, CorsPolicy{}, net::WsLimits{},
             [](eio::EioSession&) { return std::unique_ptr<eio::EioApp>(); }),
        sio_({&worker_}, sio::SioOptions{}, nullptr),
        nsp_(sio_.of("/")) {
    // Run the loop once on this thread so that it counts as the worker's thread:
    // Worker::dispatch then runs inline, as for an emit from a handler on this
    // worker (the tick is set so long that the wheel never fires).
    worker_.post([this] { worker_.stop(); });
    worker_.run_here();

    poll_get_ = std::make_shared<net::HttpConnection>(
        worker_, boost::asio::ip::tcp::socket(worker_.io()), net::HttpLimits{},
        [](std::shared_ptr<net::HttpConnection>, net::HttpRequest&&) {});
    for (size_t i = 0; i <= members; ++i) {
      auto session = std::make_shared<eio::EioSession>(eio_, worker_, "sid" + std::to_string(i),
                                                       eio::Handshake("/socket.io/", "127.0.0.1"));
      auto client = std::make_unique<sio::SioClient>(sio_, *session);
      auto& c = *client;
      session->set_app(std::move(client));
      auto id = std::to_string(i);
      id.insert(0, 20 - id.size(), 'x');  // 20 chars like random_id()
      auto socket =
          std::make_shared<sio::Socket>(sio_, c, nsp_, id, json::object{}, "u" + std::to_string(i));
      sio_.add_socket(*socket);
      socket->join("user:" + socket->user_id());
      socket->join("r1");
      sessions_.push_back(std::move(session));
      sockets_.push_back(std::move(socket));
    }
    // Warm-up: the queues reach their steady-state capacity before timing.
    auto b = std::make_shared<sio::Broadcast>();
    b->nsp = "/";
    b->except = {std::string(sender().id())};
    b->wires = sio::encode_event("/", "chat", json::array{1}, {});
    for (size_t i = 0; i < kDrainEvery; ++i) sio_.broadcast(b);
    drain();
  }

  ~Fixture() {
    sockets_.clear();
    sessions_.clear();
  }

  sio::SioServer& server() { return sio_; }
  sio::Socket& sender() { return *sockets_[0]; }

  // Answers a poll GET on every receiving session: empties its queue (the
  // vector keeps its capacity, as in steady state).
  void drain() {
    for (size_t i = 1; i < sessions_.size(); ++i) sessions_[i]->on_poll_get(poll_get_);
  }

 private:
  static constexpr uint32_t kNeverTick = 0xFFFFFFFFu;

  net::Worker worker_;
  eio::EioServer eio_;
  sio::SioServer sio_;
  sio::Namespace& nsp_;
  std::shared_ptr<net::HttpConnection> poll_get_;
  std::vector<std::shared_ptr<eio::EioSession>> sessions_;
  std::vector<std::shared_ptr<sio::Socket>> sockets_;
};

// Keeps one fixture alive across the runs of a benchmark (100 000 members take a while).
Fixture& fixture(size_t members) {
  static std::unique_ptr<Fixture> f;
  static size_t size = 0;
  if (!f || size != members) {
    f.reset();
    f = std::make_unique<Fixture>(members);
    size = members;
  }
  return *f;
}

void set_counters(benchmark::State& state, size_t members) {
  const auto deliveries = static_cast<int64_t>(members) * state.iterations();
  state.SetItemsProcessed(deliveries);
  state.counters["per_member"] = benchmark::Counter(
      static_cast<double>(deliveries), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A pre-encoded broadcast to room "r1" except the sender: deliver_local alone.
void BM_FanoutDeliver_Room(benchmark::State& state) {
  const auto members = static_cast<size_t>(state.range(0));
  Fixture& f = fixture(members);
  auto b = std::make_shared<sio::Broadcast>();
  b->nsp = "/";
  b->rooms = {"r1"};
  b->except = {std::string(f.sender().id())};
  b->wires = sio::encode_event("/", "chat", chat_args(), {});
  std::shared_ptr<const sio::Broadcast> cb = b;
  size_t n = 0;
  for (auto _ : state) {
    f.server().broadcast(cb);
    if (++n == kDrainEvery) {
      state.PauseTiming();
      f.drain();
      n = 0;
      state.ResumeTiming();
    }
  }
  if (n) f.drain();  // the timer has stopped with the loop
  set_counters(state, members);
}
BENCHMARK(BM_FanoutDeliver_Room)->Arg(10)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// socket.broadcast: the whole namespace but the sender (iterates the socket table).
void BM_FanoutDeliver_Namespace(benchmark::State& state) {
  const auto members = static_cast<size_t>(state.range(0));
  Fixture& f = fixture(members);
  auto b = std::make_shared<sio::Broadcast>();
  b->nsp = "/";
  b->except = {std::string(f.sender().id())};
  b->wires = sio::encode_event("/", "chat", chat_args(), {});
  std::shared_ptr<const sio::Broadcast> cb = b;
  size_t n = 0;
  for (auto _ : state) {
    f.server().broadcast(cb);
    if (++n == kDrainEvery) {
      state.PauseTiming();
      f.drain();
      n = 0;
      state.ResumeTiming();
    }
  }
  if (n) f.drain();  // the timer has stopped with the loop
  set_counters(state, members);
}
BENCHMARK(BM_FanoutDeliver_Namespace)
    ->Arg(10)
    ->Arg(1000)
    ->Arg(100000)
    ->Unit(benchmark::kMicrosecond);

// socket.to("r1").emit("chat", args): BroadcastOperator, encode_event once, then
// delivery. The arguments are moved in, as a handler forwarding e.args does; their
// copies are made with the timer paused.
void BM_FanoutEmit_Room(benchmark::State& state) {
  const auto members = static_cast<size_t>(state.range(0));
  Fixture& f = fixture(members);
  const json::array args = chat_args();
  std::vector<json::array> pool(kDrainEvery, args);
  size_t n = 0;
  for (auto _ : state) {
    f.sender().to("r1").emit("chat", std::move(pool[n]));
    if (++n == kDrainEvery) {
      state.PauseTiming();
      f.drain();
      for (auto& a : pool) a = args;
      n = 0;
      state.ResumeTiming();
    }
  }
  if (n) f.drain();  // the timer has stopped with the loop
  set_counters(state, members);
}
BENCHMARK(BM_FanoutEmit_Room)->Arg(10)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
