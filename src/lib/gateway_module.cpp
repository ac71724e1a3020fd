#include "switchboard/gateway_module.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>

#include "app/config.hpp"
#include "app/gateway_module.hpp"
#include "app/logging.hpp"
#include "gateways/client/sio_server.hpp"
#include "gateways/inter_service/inter_service_gateway.hpp"
#include "gateways/intra_service/event_bus.hpp"
#include "gateways/intra_service/sse_server.hpp"
#include "lib/namespace_state.hpp"
#include "switchboard/errors.hpp"

namespace switchboard {

struct GatewayModule::Impl {
  Config config;
  std::unique_ptr<sb::GatewayModule> module;
  std::map<std::string, std::shared_ptr<NamespaceState>, std::less<>> namespaces;
  std::mutex mu;  // namespaces: handles may be asked for from several threads
  std::atomic<bool> running{false};
};

static std::unique_ptr<sb::GatewayModule> build(const Config& config) {
  try {
    sb::validate(config.get());
    sb::setup_logging(config.get().log.level, config.get().log.format);
    return std::make_unique<sb::GatewayModule>(config.get());
  } catch (const sb::ConfigError& e) {
    throw ConfigError(e.what());
  }
}

GatewayModule::GatewayModule(Config config) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->module = build(impl_->config);
}

GatewayModule::GatewayModule(const std::string& config_file)
    : GatewayModule(Config::from_file(config_file).apply_environment()) {}

GatewayModule::~GatewayModule() {
  stop();
}

ClientGateway GatewayModule::client(std::string_view nsp) {
  auto& server = impl_->module->client();
  std::lock_guard lk(impl_->mu);
  auto it = impl_->namespaces.find(nsp);
  if (it == impl_->namespaces.end()) {
    // Workers read the namespace table without locks once running.
    if (impl_->running && !server.find_namespace(nsp))
      throw std::logic_error("client(\"" + std::string(nsp) +
                             "\"): declare namespaces before start()");
    auto st = std::make_shared<NamespaceState>();
    st->name = std::string(nsp);
    st->ns = &server.of(st->name);
    it = impl_->namespaces.emplace(st->name, std::move(st)).first;
  }
  return ClientGateway(server, it->second);
}

BusGateway GatewayModule::bus(std::string_view broker) {
  auto& gw = impl_->module->brokers();
  auto* b = broker.empty() ? &gw.default_broker() : gw.find(broker);
  if (!b) throw std::invalid_argument("no broker named \"" + std::string(broker) + "\"");
  return BusGateway(gw, *b);
}

EventBus GatewayModule::events() {
  return EventBus(impl_->module->events());
}

SseGateway GatewayModule::sse() {
  return SseGateway(impl_->module->sse());
}

void GatewayModule::notify_user(const std::string& user_id, std::string_view event, Json data,
                                NotifyOptions options) {
  sb::sio::NotifyOptions o;
  o.store = options.store;
  impl_->module->client().notify_user(user_id, event, std::move(data), std::move(o));
}

// SIGINT and SIGTERM blocked in every thread the module starts: only a
// thread of the application (run()'s sigtimedwait) ever takes them.
static sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void GatewayModule::start() {
  if (impl_->running) return;
  const sigset_t set = stop_signals();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &set, &old);
  try {
    impl_->module->start();
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  impl_->running = true;
}

void GatewayModule::stop() {
  impl_->running = false;
  impl_->module->stop();
}

void GatewayModule::run() {
  const sigset_t set = stop_signals();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &set, &old);
  struct sigaction pipe_action {};
  sigaction(SIGPIPE, nullptr, &pipe_action);
  if (pipe_action.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);  // a peer that left
  try {
    start();
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
  // A short timeout, so that stop() from another thread ends the loop too.
  const timespec tick{0, 100 * 1000 * 1000};
  while (impl_->running) {
    if (sigtimedwait(&set, nullptr, &tick) > 0) break;
  }
  stop();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

uint16_t GatewayModule::port() const {
  return impl_->module->port();
}

const Config& GatewayModule::config() const {
  return impl_->config;
}

}  // namespace switchboard
