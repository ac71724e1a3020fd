#include "gateways/intra_service/event_bus.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "hub/topic_pattern.hpp"
#include "net/worker.hpp"

namespace sb::intra {

EventBus::EventBus(std::vector<net::Worker*> workers)
    : workers_(std::move(workers)), table_(std::make_shared<Table>()) {}

EventBus::~EventBus() = default;

uint64_t EventBus::on(std::string_view pattern, BusHandler handler, Delivery delivery) {
  if (!hub::valid_pattern(pattern))
    throw std::invalid_argument("event bus: \"" + std::string(pattern) +
                                "\" is not an event name or pattern");
  if (!handler) throw std::invalid_argument("event bus: empty handler");
  std::lock_guard lk(mu_);
  auto sub = std::make_shared<Subscription>(Subscription{
      next_id_++, std::string(pattern), hub::is_pattern(pattern), std::move(handler), delivery});
  auto table = std::make_shared<Table>(*table_);
  table->push_back(std::move(sub));
  table_ = std::move(table);
  return table_->back()->id;
}

uint64_t EventBus::on(std::string_view pattern, const std::string& handler_name,
                      Delivery delivery) {
  BusHandler h;
  {
    std::lock_guard lk(mu_);
    auto it = registry_.find(handler_name);
    if (it == registry_.end())
      throw std::invalid_argument("event bus: no handler named \"" + handler_name + "\"");
    h = it->second;
  }
  return on(pattern, std::move(h), delivery);
}

bool EventBus::off(uint64_t id) {
  std::lock_guard lk(mu_);
  auto table = std::make_shared<Table>();
  table->reserve(table_->size());
  bool found = false;
  for (auto& s : *table_) {
    if (s->id == id)
      found = true;
    else
      table->push_back(s);
  }
  if (found) table_ = std::move(table);
  return found;
}

void EventBus::define(const std::string& name, BusHandler handler) {
  std::lock_guard lk(mu_);
  registry_[name] = std::move(handler);
}

bool EventBus::defined(const std::string& name) const {
  std::lock_guard lk(mu_);
  return registry_.count(name) != 0;
}

size_t EventBus::subscription_count() const {
  std::lock_guard lk(mu_);
  return table_->size();
}

void EventBus::run(const Subscription& s, const BusEvent& e) {
  try {
    s.handler(e);
    counters_.delivered.fetch_add(1, std::memory_order_relaxed);
  } catch (const std::exception& ex) {
    counters_.handler_errors.fetch_add(1, std::memory_order_relaxed);
    if (log_limiter_.allow())
      spdlog::error("bus: handler for \"{}\" threw on event \"{}\": {}", s.pattern, e.name,
                    ex.what());
  } catch (...) {
    counters_.handler_errors.fetch_add(1, std::memory_order_relaxed);
    if (log_limiter_.allow())
      spdlog::error("bus: handler for \"{}\" threw on event \"{}\"", s.pattern, e.name);
  }
}

size_t EventBus::emit(std::string_view name, boost::json::value payload, size_t* routed) {
  counters_.emitted.fetch_add(1, std::memory_order_relaxed);
  size_t routes = 0;
  if (router_) {
    try {
      routes = router_(name, payload);
    } catch (const std::exception& e) {
      spdlog::error("bus: routing \"{}\" failed: {}", name, e.what());
    }
  }
  if (routed) *routed = routes;
  std::shared_ptr<const Table> table;
  {
    std::lock_guard lk(mu_);
    table = table_;
  }
  // One shared copy of the event serves every handler, sync or posted.
  std::shared_ptr<const BusEvent> event;
  size_t matched = 0;
  for (auto& s : *table) {
    if (s->wildcard ? !hub::topic_matches(s->pattern, name) : s->pattern != name) continue;
    ++matched;
    if (!event)
      event = std::make_shared<const BusEvent>(BusEvent{std::string(name), std::move(payload)});
    if (s->delivery == Delivery::Posted && !workers_.empty()) {
      net::Worker* w = workers_[s->id % workers_.size()];
      // post, never dispatch: running inline could overtake events this
      // subscription already has queued on that worker.
      w->post([this, s, event] { run(*s, *event); });
    } else {
      run(*s, *event);
    }
  }
  if (!matched && !routes) counters_.unhandled.fetch_add(1, std::memory_order_relaxed);
  return matched;
}

}  // namespace sb::intra
