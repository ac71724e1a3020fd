// The notifications service of the gateways design note, on libswitchboard:
//
//   @WebSocketGateway  ClientNotificationGateway   -> module.client()
//     @SubscribeMessage('get_notifications')       -> client.on("get_notifications", ...)
//     notifyUser(userId, data)                     -> module.notify_user(...)
//   @MessagePattern('user.created')                -> module.bus().on("user.created", ...)
//   guards / interceptors                          -> client.use / .guard / .intercept
//
// Clients connect with a JWT (auth: { token }); its `sub` is the user id.
// A NestJS service's emit('user.created', {id, name}) stores a welcome
// notification and pushes it to that user's sockets as `new_notification`.
#include <switchboard/switchboard.hpp>

#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <vector>

namespace sw = switchboard;

// The service's own notifications (a database in a real one). Thread-safe:
// handlers run on several worker threads, the broker consumer on another.
class NotificationStore {
 public:
  sw::json::object add(const std::string& user, sw::json::object content) {
    std::lock_guard lk(mu_);
    sw::json::object n{{"id", ++next_id_},
                       {"read", false},
                       {"created_at", now_ms()},
                       {"content", std::move(content)}};
    by_user_[user].push_back(n);
    return n;
  }

  // Newest first.
  sw::json::array list(const std::string& user, size_t limit, bool unread_only) const {
    std::lock_guard lk(mu_);
    sw::json::array out;
    auto it = by_user_.find(user);
    if (it == by_user_.end()) return out;
    for (auto n = it->second.rbegin(); n != it->second.rend() && out.size() < limit; ++n)
      if (!unread_only || !n->at("read").as_bool()) out.push_back(*n);
    return out;
  }

  size_t mark_read(const std::string& user, const sw::json::array& ids) {
    std::lock_guard lk(mu_);
    size_t updated = 0;
    for (auto& n : by_user_[user])
      for (auto& id : ids)
        if (id.is_int64() && n.at("id").as_int64() == id.as_int64() && !n.at("read").as_bool()) {
          n["read"] = true;
          ++updated;
        }
    return updated;
  }

 private:
  static int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  mutable std::mutex mu_;
  int64_t next_id_ = 0;
  std::map<std::string, std::vector<sw::json::object>> by_user_;
};

// {limit?: 1..100, unread_only?: bool}; anything else is the caller's error.
static std::pair<size_t, bool> parse_query(const sw::Json& q) {
  size_t limit = 20;
  bool unread_only = false;
  if (q.is_null()) return {limit, unread_only};
  if (!q.is_object()) throw sw::WsException("expected {limit?, unread_only?}");
  if (auto* l = q.as_object().if_contains("limit")) {
    if (!l->is_int64() || l->as_int64() < 1 || l->as_int64() > 100)
      throw sw::WsException("limit must be an integer in 1..100");
    limit = static_cast<size_t>(l->as_int64());
  }
  if (auto* u = q.as_object().if_contains("unread_only")) {
    if (!u->is_bool()) throw sw::WsException("unread_only must be a boolean");
    unread_only = u->as_bool();
  }
  return {limit, unread_only};
}

int main(int argc, char** argv) {
  std::string config_path = "examples/notifications/notifications.toml";
  if (argc == 3 && std::strcmp(argv[1], "--config") == 0) config_path = argv[2];
  try {
    sw::GatewayModule module(config_path);  // the file, then SWITCHBOARD_* variables
    NotificationStore store;

    auto client = module.client();
    // The [auth] JWT guard runs first; this one also refuses anonymous clients
    // should the config allow them.
    client.use([](sw::Socket& s) {
      if (!s.authenticated()) throw sw::WsException("a JWT is required");
      return true;
    });
    // Around every handler: how long it took.
    client.intercept([](sw::Context& c, const sw::Next& next) {
      const auto t0 = std::chrono::steady_clock::now();
      next();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - t0);
      std::clog << "notifications: " << c.event() << " for " << c.user_id() << " in " << us.count()
                << " us\n";
    });

    client.on("get_notifications", [&store](sw::Context& c, const sw::Json& query) -> sw::Json {
      auto [limit, unread_only] = parse_query(query);
      return sw::json::object{{"items", store.list(c.user_id(), limit, unread_only)}};
    });
    client.on("mark_read", [&store](sw::Context& c, const sw::Json& body) -> sw::Json {
      if (!body.is_object() || !body.as_object().contains("ids") || !body.at("ids").is_array())
        throw sw::WsException("expected {ids: [id, ...]}");
      return sw::json::object{{"updated", store.mark_read(c.user_id(), body.at("ids").as_array())}};
    });

    // A NestJS service's client.emit('user.created', {id, name}).
    module.bus().on("user.created", [&](const sw::BusMessage& m) {
      const auto* user = m.data.is_object() ? m.data.as_object().if_contains("id") : nullptr;
      if (!user || !(user->is_string() || user->is_int64()))
        throw std::invalid_argument("user.created without an id");
      const std::string id =
          user->is_string() ? std::string(user->as_string()) : std::to_string(user->as_int64());
      std::string name = "there";
      if (auto* n = m.data.as_object().if_contains("name"); n && n->is_string())
        name = std::string(n->as_string());
      auto notification =
          store.add(id, sw::json::object{{"type", "welcome"}, {"text", "Welcome, " + name + "!"}});
      module.notify_user(id, "new_notification", notification);
    });

    module.run();  // until SIGINT / SIGTERM
    return 0;
  } catch (const sw::ConfigError& e) {
    std::cerr << "notifications: invalid config: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "notifications: " << e.what() << "\n";
    return 1;
  }
}
