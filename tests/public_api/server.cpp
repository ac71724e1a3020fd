// sb-public-api-server: a program on the public C++ API only, with one
// handler per feature of it, for tests/e2e/public_api.test.mjs to drive with
// socket.io-client and eventsource. `--config <file>` like the binary.
#include <switchboard/switchboard.hpp>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

namespace sw = switchboard;

// One thread of the application's own, where async handlers answer from.
class JobThread {
 public:
  JobThread() : thread_([this] { loop(); }) {}
  ~JobThread() {
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> job) {
    {
      std::lock_guard lk(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [&] { return done_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lk.unlock();
      job();
      lk.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool done_ = false;
  std::thread thread_;
};

static int64_t sum_of(const sw::Json& data) {
  if (!data.is_array()) throw sw::WsException("expected an array of integers");
  int64_t total = 0;
  for (auto& v : data.as_array()) {
    if (!v.is_int64()) throw sw::WsException("expected an array of integers");
    total += v.as_int64();
  }
  return total;
}

static std::vector<std::string>& trace(sw::Context& c) {
  auto& v = c.values()["trace"];
  if (!v.has_value()) v = std::vector<std::string>{};
  return std::any_cast<std::vector<std::string>&>(v);
}

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "--config") != 0) {
    std::cerr << "usage: sb-public-api-server --config <file>\n";
    return 2;
  }
  try {
    JobThread jobs;
    sw::GatewayModule module(argv[2]);
    auto client = module.client();

    client.on_connection([](sw::Socket& s) {
      const auto* admin =
          s.auth().is_object() ? s.auth().as_object().if_contains("admin") : nullptr;
      s.data()["admin"] = admin && admin->is_bool() && admin->as_bool();
      s.emit("welcome", sw::json::object{{"id", s.id()}, {"user", s.user_id()}});
    });

    // Guards run first, then the interceptors in registration order.
    client.guard([](sw::Context& c) {
      trace(c).push_back("guard");
      if (c.event() != "admin_only") return true;
      return c.socket().data()["admin"].as_bool();
    });
    client.intercept([](sw::Context& c, const sw::Next& next) {
      trace(c).push_back("first");
      if (c.event() == "intercepted") throw sw::WsException("stopped by an interceptor");
      next();
    });
    client.intercept([](sw::Context& c, const sw::Next& next) {
      trace(c).push_back("second");
      next();
    });

    client.on("trace", [](sw::Context& c, const sw::Json&) -> sw::Json {
      sw::json::array out;
      for (auto& t : trace(c)) out.emplace_back(t);
      return out;
    });
    client.on("admin_only",
              [](sw::Context&, const sw::Json&) { return sw::Json("welcome, admin"); });
    client.on("intercepted", [](sw::Context&, const sw::Json&) { return sw::Json("never"); });
    client.on("sum", [](sw::Context&, const sw::Json& data) { return sum_of(data); });
    client.on("args", [](sw::Context& c, const sw::Json&) -> sw::Json {
      return sw::json::object{{"event", c.event()},
                              {"args", c.args()},
                              {"attachments", c.attachments().size()},
                              {"wants_ack", c.wants_ack()}};
    });
    client.on("async_sum", [&jobs](sw::Context&, const sw::Json& data, sw::Reply reply) {
      jobs.post([data, reply]() mutable {
        try {
          reply(sum_of(data));
        } catch (const sw::WsException& e) {
          reply.fail(e.what());
        }
      });
    });
    client.on("ws_payload", [](sw::Context&, const sw::Json&) -> sw::Json {
      throw sw::WsException("with a payload", sw::json::object{{"code", 42}});
    });
    client.on("boom",
              [](sw::Context&, const sw::Json&) -> sw::Json { throw std::runtime_error("a bug"); });
    client.on("join", [](sw::Context& c, const sw::Json& room) -> sw::Json {
      if (!room.is_string()) throw sw::WsException("room must be a string");
      c.socket().join(std::string(room.as_string()));
      sw::json::array rooms;
      for (auto& r : c.socket().rooms()) rooms.emplace_back(r);
      return rooms;
    });
    client.on("shout", [](sw::Context& c, const sw::Json& data) {
      c.socket().to(std::string(data.at("room").as_string())).emit("shout", data.at("text"));
    });
    client.on("notify", [&module](sw::Context&, const sw::Json& data) {
      module.notify_user(std::string(data.at("user").as_string()), "note", data.at("data"));
    });
    client.on("bus_sum", [&module](sw::Context&, const sw::Json& data, sw::Reply reply) {
      module.bus().request("math.sum", data, [reply](sw::BusReply br) mutable {
        if (br.error)
          reply.fail(*br.error);
        else
          reply(br.value);
      });
    });
    client.on("emit_event", [&module](sw::Context&, const sw::Json& data) -> sw::Json {
      return static_cast<int64_t>(module.events().emit("app.ping", data));
    });
    client.on("sse", [&module](sw::Context&, const sw::Json& data) -> sw::Json {
      auto p = module.sse().publish("news", "headline", data);
      return sw::json::object{{"ok", p.ok}, {"id", p.id}, {"error", p.error}};
    });

    // The broker side: a request handler and an event consumer on the
    // default (in-memory) broker.
    auto bus = module.bus();
    bus.on("math.sum", [](const sw::BusMessage& m) -> sw::Json { return sum_of(m.data); });
    // The in-process bus, fanned out to every socket of "/".
    module.events().on("app.*", [client](const std::string& name, const sw::Json& payload) {
      client.emit("app-event", sw::json::object{{"name", name}, {"payload", payload}});
    });

    // A namespace with its own handshake guard.
    auto admin = module.client("/admin");
    admin.use([](sw::Socket& s) {
      const auto* key = s.auth().is_object() ? s.auth().as_object().if_contains("key") : nullptr;
      if (!key || !key->is_string() || key->as_string() != "letmein")
        throw sw::WsException("bad key");
      return true;
    });
    admin.on("whoami", [](sw::Context& c, const sw::Json&) -> sw::Json {
      return sw::json::object{{"nsp", c.socket().nsp()}, {"user", c.user_id()}};
    });

    module.run();
    return 0;
  } catch (const sw::ConfigError& e) {
    std::cerr << "sb-public-api-server: invalid config: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sb-public-api-server: " << e.what() << "\n";
    return 1;
  }
}
