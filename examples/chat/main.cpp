// A chat with rooms and presence on libswitchboard.
//
//   join     {room}          -> ack {room, members}; the room gets `presence` {room, user, online:
//   true, members} leave    {room}          -> ack {room}; the room gets `presence` {..., online:
//   false} message  {room, text}    -> ack {id}; the room (sender included) gets `message` {id,
//   room, user, text} who      {room}          -> ack {room, members}
//
// A user may have several sockets: presence counts users, not sockets, and a
// disconnect leaves the user's rooms only when it was their last socket there.
#include <switchboard/switchboard.hpp>

#include <atomic>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

namespace sw = switchboard;

// room -> user -> sockets of that user in the room.
class Presence {
 public:
  // True when the user was not in the room before.
  bool join(const std::string& room, const std::string& user, const std::string& sid) {
    std::lock_guard lk(mu_);
    auto& sockets = rooms_[room][user];
    sockets.insert(sid);
    return sockets.size() == 1;
  }
  // True when it was the user's last socket in the room.
  bool leave(const std::string& room, const std::string& user, const std::string& sid) {
    std::lock_guard lk(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return false;
    auto u = r->second.find(user);
    if (u == r->second.end() || !u->second.erase(sid) || !u->second.empty()) return false;
    r->second.erase(u);
    if (r->second.empty()) rooms_.erase(r);
    return true;
  }
  sw::json::array members(const std::string& room) const {
    std::lock_guard lk(mu_);
    sw::json::array out;
    if (auto r = rooms_.find(room); r != rooms_.end())
      for (auto& [user, sockets] : r->second) out.emplace_back(user);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::set<std::string>>> rooms_;
};

// Room names are the client's input: bounded, printable, no prefix of ours.
static std::string room_of(const sw::Json& data) {
  const auto* r = data.is_object() ? data.as_object().if_contains("room") : nullptr;
  if (!r || !r->is_string()) throw sw::WsException("expected {room: string}");
  std::string room(r->as_string());
  if (room.empty() || room.size() > 64) throw sw::WsException("room: 1 to 64 characters");
  for (unsigned char ch : room)
    if (ch < 0x20 || ch == 0x7f || ch == ':') throw sw::WsException("room: invalid character");
  return room;
}

static std::string channel(const std::string& room) {
  return "chat:" + room;  // never a user:<id> room
}

int main(int argc, char** argv) {
  std::string config_path = "examples/chat/chat.toml";
  if (argc == 3 && std::strcmp(argv[1], "--config") == 0) config_path = argv[2];
  try {
    sw::GatewayModule module(config_path);
    Presence presence;
    std::atomic<int64_t> next_message{0};
    auto chat = module.client();

    auto announce = [&](const std::string& room, const std::string& user, bool online) {
      chat.to(channel(room))
          .emit("presence", sw::json::object{{"room", room},
                                             {"user", user},
                                             {"online", online},
                                             {"members", presence.members(room)}});
    };

    // Messages and `who` only for rooms the socket has joined.
    chat.guard([](sw::Context& c) {
      if (c.event() != "message" && c.event() != "who") return true;
      return c.socket().in_room(channel(room_of(c.data())));
    });

    chat.on("join", [&](sw::Context& c, const sw::Json& data) -> sw::Json {
      const std::string room = room_of(data);
      auto& s = c.socket();
      s.join(channel(room));
      if (presence.join(room, s.user_id(), s.id())) announce(room, s.user_id(), true);
      return sw::json::object{{"room", room}, {"members", presence.members(room)}};
    });

    chat.on("leave", [&](sw::Context& c, const sw::Json& data) -> sw::Json {
      const std::string room = room_of(data);
      auto& s = c.socket();
      s.leave(channel(room));
      if (presence.leave(room, s.user_id(), s.id())) announce(room, s.user_id(), false);
      return sw::json::object{{"room", room}};
    });

    chat.on("message", [&](sw::Context& c, const sw::Json& data) -> sw::Json {
      const std::string room = room_of(data);
      const auto* text = data.as_object().if_contains("text");
      if (!text || !text->is_string() || text->as_string().empty() ||
          text->as_string().size() > 2000)
        throw sw::WsException("text: 1 to 2000 characters");
      const int64_t id = ++next_message;
      chat.to(channel(room))
          .emit("message", sw::json::object{
                               {"id", id}, {"room", room}, {"user", c.user_id()}, {"text", *text}});
      return sw::json::object{{"id", id}};
    });

    chat.on("who", [&](sw::Context&, const sw::Json& data) -> sw::Json {
      const std::string room = room_of(data);
      return sw::json::object{{"room", room}, {"members", presence.members(room)}};
    });

    // The socket's rooms are still listed here: leave each, then tell the others.
    chat.on_disconnect([&](sw::Socket& s, const std::string&) {
      for (const auto& r : s.rooms()) {
        if (r.rfind("chat:", 0) != 0) continue;
        const std::string room = r.substr(5);
        if (presence.leave(room, s.user_id(), s.id())) announce(room, s.user_id(), false);
      }
    });

    module.run();
    return 0;
  } catch (const sw::ConfigError& e) {
    std::cerr << "chat: invalid config: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "chat: " << e.what() << "\n";
    return 1;
  }
}
