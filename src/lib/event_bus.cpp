#include "switchboard/event_bus.hpp"

#include "gateways/intra_service/event_bus.hpp"

namespace switchboard {

namespace {
sb::intra::Delivery to_internal(Delivery d) {
  return d == Delivery::Posted ? sb::intra::Delivery::Posted : sb::intra::Delivery::Sync;
}
sb::intra::BusHandler wrap(EventHandlerFn fn) {
  return [fn = std::move(fn)](const sb::intra::BusEvent& e) { fn(e.name, e.payload); };
}
}  // namespace

uint64_t EventBus::on(std::string_view pattern, EventHandlerFn handler, Delivery d) {
  return bus_->on(pattern, wrap(std::move(handler)), to_internal(d));
}
bool EventBus::off(uint64_t id) {
  return bus_->off(id);
}
void EventBus::define(const std::string& name, EventHandlerFn handler) {
  bus_->define(name, wrap(std::move(handler)));
}
uint64_t EventBus::on(std::string_view pattern, const std::string& handler_name, Delivery d) {
  return bus_->on(pattern, handler_name, to_internal(d));
}
size_t EventBus::emit(std::string_view name, Json payload) {
  return bus_->emit(name, std::move(payload));
}

}  // namespace switchboard
