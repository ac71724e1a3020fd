// A live metrics feed over Server-Sent Events on libswitchboard.
//
// Socket.IO clients report what happens (`track` {name}, acked with the
// running count); a publisher thread sends a snapshot to the SSE stream
// `stats` every 250 ms:
//
//   event: sample
//   id: <epoch>-<seq>
//   data: {"seq": n, "connections": c, "tracked": {"<name>": count, ...}, "total": t}
//
// Browsers read it with `new EventSource("/sse/stats")` and resume after a drop
// from Last-Event-ID out of the stream's history ([sse] history_size).
#include <switchboard/switchboard.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace sw = switchboard;

class Counters {
 public:
  int64_t track(const std::string& name) {
    std::lock_guard lk(mu_);
    ++total_;
    return ++by_name_[name];
  }
  sw::json::object snapshot(int64_t seq, int64_t connections) const {
    std::lock_guard lk(mu_);
    sw::json::object tracked;
    for (auto& [name, n] : by_name_) tracked[name] = n;
    return sw::json::object{{"seq", seq},
                            {"connections", connections},
                            {"tracked", std::move(tracked)},
                            {"total", total_}};
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> by_name_;
  int64_t total_ = 0;
};

int main(int argc, char** argv) {
  std::string config_path = "examples/metrics_feed/metrics_feed.toml";
  if (argc == 3 && std::strcmp(argv[1], "--config") == 0) config_path = argv[2];
  try {
    sw::GatewayModule module(config_path);
    Counters counters;
    std::atomic<int64_t> connections{0};

    auto client = module.client();
    client.on_connection([&](sw::Socket&) { ++connections; });
    client.on_disconnect([&](sw::Socket&, const std::string&) { --connections; });
    client.on("track", [&](sw::Context&, const sw::Json& data) -> sw::Json {
      const auto* name = data.is_object() ? data.as_object().if_contains("name") : nullptr;
      if (!name || !name->is_string() || name->as_string().empty() || name->as_string().size() > 64)
        throw sw::WsException("expected {name: string of 1 to 64 characters}");
      return sw::json::object{{"count", counters.track(std::string(name->as_string()))}};
    });

    module.start();  // the streams take events once the module runs
    // The publisher: its own thread, woken early on shutdown.
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread publisher([&] {
      auto sse = module.sse();
      int64_t seq = 0;
      std::unique_lock lk(mu);
      while (!cv.wait_for(lk, std::chrono::milliseconds(250), [&] { return done; })) {
        auto r = sse.publish("stats", "sample", counters.snapshot(++seq, connections.load()));
        if (!r.ok) std::cerr << "metrics_feed: publish failed: " << r.error << "\n";
      }
    });

    try {
      module.run();
    } catch (...) {
      {
        std::lock_guard lk(mu);
        done = true;
      }
      cv.notify_all();
      publisher.join();
      throw;
    }
    {
      std::lock_guard lk(mu);
      done = true;
    }
    cv.notify_all();
    publisher.join();
    return 0;
  } catch (const sw::ConfigError& e) {
    std::cerr << "metrics_feed: invalid config: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "metrics_feed: " << e.what() << "\n";
    return 1;
  }
}
