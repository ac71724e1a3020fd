// A user's program: builds against the installed package only (no src/),
// registers a handler, a guard and an interceptor, starts a module on a free
// port, and checks over Engine.IO polling that a client's event is answered.
#include <switchboard/switchboard.hpp>

#include <atomic>
#include <iostream>
#include <string>

#include "polling_client.hpp"

namespace sw = switchboard;

static std::string value_of(const std::string& s, const std::string& key) {
  auto at = s.find("\"" + key + "\":\"");
  if (at == std::string::npos) throw std::runtime_error("no " + key + " in " + s);
  at += key.size() + 4;
  return s.substr(at, s.find('"', at) - at);
}

static void expect(const std::string& what, const std::string& got, const std::string& want) {
  if (got.find(want) == std::string::npos)
    throw std::runtime_error(what + ": expected \"" + want + "\" in \"" + got + "\"");
}

// The next packets of a polling GET, answering a heartbeat ping on the way.
static std::string poll(uint16_t port, const std::string& url) {
  for (;;) {
    std::string body = http_request(port, "GET", url);
    if (body != "2") return body;
    http_request(port, "POST", url, "3");
  }
}

int main() {
  try {
    sw::Config config;
    config.set("server.host", "127.0.0.1")
        .set("server.port", "0")
        .set("server.workers", "1")
        .set("auth.allow_anonymous", "true")
        .set("dashboard.enabled", "false")
        .set("log.level", "warn");
    sw::GatewayModule module(config);

    std::atomic<int> intercepted{0};
    auto client = module.client();
    client.intercept([&](sw::Context&, const sw::Next& next) {
      ++intercepted;
      next();
    });
    client.guard([](sw::Context& c) { return c.event() != "secret"; });
    client.on("secret", [](sw::Context&, const sw::Json&) { return sw::Json("never"); });
    client.on("sum", [](sw::Context&, const sw::Json& data) {
      int64_t total = 0;
      for (auto& v : data.as_array()) total += v.as_int64();
      return total;
    });
    module.start();
    const uint16_t port = module.port();
    std::cout << "consumer: module on port " << port << " (libswitchboard " << sw::version()
              << ")\n";

    const std::string base = "/socket.io/?EIO=4&transport=polling";
    const std::string open = http_request(port, "GET", base);
    expect("handshake", open, "\"sid\"");
    const std::string url = base + "&sid=" + value_of(open, "sid");
    expect("connect", http_request(port, "POST", url, "40"), "ok");
    expect("connected", poll(port, url), "40{\"sid\"");
    expect("secret", http_request(port, "POST", url, "42[\"secret\",1]"), "ok");
    expect("exception", poll(port, url), "Forbidden resource");
    expect("emit", http_request(port, "POST", url, "421[\"sum\",[1,2,3]]"), "ok");
    expect("ack", poll(port, url), "431[6]");
    if (intercepted != 1)
      throw std::runtime_error("interceptor ran " + std::to_string(intercepted.load()) + " times");
    module.stop();
    std::cout << "consumer: ok\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "consumer: FAILED: " << e.what() << "\n";
    return 1;
  }
}
