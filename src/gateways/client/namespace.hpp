#pragma once
// A Socket.IO namespace's handler registry: named event handlers, a catch-all,
// connection/disconnection hooks and connection middlewares. Register before
// the server starts; workers read it without locks afterwards.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateways/client/sio_types.hpp"

namespace sb::sio {

class Namespace {
 public:
  explicit Namespace(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  Namespace& on(std::string event, EventHandler handler) {
    handlers_[std::move(event)] = std::move(handler);
    return *this;
  }
  Namespace& on_any(EventHandler handler) {
    any_ = std::move(handler);
    return *this;
  }
  Namespace& on_connection(ConnectionHook hook) {
    connection_hooks_.push_back(std::move(hook));
    return *this;
  }
  Namespace& on_disconnect(DisconnectHook hook) {
    disconnect_hooks_.push_back(std::move(hook));
    return *this;
  }
  Namespace& use(Middleware m) {
    middlewares_.push_back(std::move(m));
    return *this;
  }

  // The handler for `event`, else the catch-all, else null.
  const EventHandler* find(std::string_view event) const {
    auto it = handlers_.find(std::string(event));
    if (it != handlers_.end()) return &it->second;
    return any_ ? &any_ : nullptr;
  }
  const std::vector<ConnectionHook>& connection_hooks() const { return connection_hooks_; }
  const std::vector<DisconnectHook>& disconnect_hooks() const { return disconnect_hooks_; }
  const std::vector<Middleware>& middlewares() const { return middlewares_; }

 private:
  std::string name_;
  std::unordered_map<std::string, EventHandler> handlers_;
  EventHandler any_;
  std::vector<ConnectionHook> connection_hooks_;
  std::vector<DisconnectHook> disconnect_hooks_;
  std::vector<Middleware> middlewares_;
};

}  // namespace sb::sio
