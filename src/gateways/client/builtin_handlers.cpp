#include "gateways/client/builtin_handlers.hpp"

#include <stdexcept>

#include "gateways/client/sio_socket.hpp"
#include "net/overload_counters.hpp"

namespace sb::sio {

namespace json = boost::json;

static std::string room_arg(const Event& e, size_t i) {
  if (e.args.size() <= i || !e.args[i].is_string()) throw WsException("room must be a string");
  return std::string(e.args[i].as_string());
}

// A room named by a client for a broadcast or a sockets operation ([limits] max_name_bytes).
static std::string target_room_arg(const Socket& s, const Event& e, size_t i) {
  auto room = room_arg(e, i);
  const auto max = s.server().options().max_name_bytes;
  if (max && room.size() > max) {
    net::overload_counters().reject(net::Limit::NameLength);
    throw WsException("room name too long");
  }
  return room;
}

static std::string event_arg(const Event& e, size_t i) {
  if (e.args.size() <= i || !e.args[i].is_string()) throw WsException("event must be a string");
  return std::string(e.args[i].as_string());
}

static json::array tail(const json::array& a, size_t from) {
  json::array out;
  for (size_t i = from; i < a.size(); ++i) out.push_back(a[i]);
  return out;
}

EventHandler make_builtin_handler(const std::string& spec) {
  if (spec.rfind("echo:", 0) == 0 && spec.size() > 5) {
    std::string reply = spec.substr(5);
    return [reply](Socket& s, Event& e) {
      s.emit(reply, e.args, e.attachments);
      if (e.wants_ack()) s.ack(e, e.args, e.attachments);
    };
  }
  if (spec == "ack") {
    return [](Socket& s, Event& e) { s.ack(e, e.args, e.attachments); };
  }
  if (spec == "join" || spec == "leave") {
    const bool join = spec == "join";
    return [join](Socket& s, Event& e) {
      auto room = room_arg(e, 0);
      if (room.rfind("user:", 0) == 0) {
        s.ack(e, json::array{json::object{{"error", "forbidden room"}}});
        return;
      }
      if (join && !s.join(room)) {
        const auto max = s.server().options().max_name_bytes;
        const bool too_long = max && room.size() > max;
        s.ack(e, json::array{
                     json::object{{"error", too_long ? "room name too long" : "too many rooms"}}});
        return;
      }
      if (!join) s.leave(room);
      s.ack(e, json::array{true});
    };
  }
  if (spec == "to_room") {
    return [](Socket& s, Event& e) {
      auto room = target_room_arg(s, e, 0);
      auto event = event_arg(e, 1);
      s.to(room).emit(event, tail(e.args, 2), e.attachments);
      s.ack(e, json::array{true});
    };
  }
  if (spec == "broadcast") {
    return [](Socket& s, Event& e) {
      auto event = event_arg(e, 0);
      s.broadcast().emit(event, tail(e.args, 1), e.attachments);
      s.ack(e, json::array{true});
    };
  }
  // socketsJoin / socketsLeave on every node: ["<room whose sockets>", "<room to join>"].
  if (spec == "sockets_join" || spec == "sockets_leave") {
    const bool join = spec == "sockets_join";
    return [join](Socket& s, Event& e) {
      auto room = target_room_arg(s, e, 0);
      auto target = target_room_arg(s, e, 1);
      if (target.rfind("user:", 0) == 0) {
        s.ack(e, json::array{json::object{{"error", "forbidden room"}}});
        return;
      }
      BroadcastOperator op(s.server(), s.nsp().name());
      op.to(room);
      if (join)
        op.sockets_join({target});
      else
        op.sockets_leave({target});
      s.ack(e, json::array{true});
    };
  }
  // disconnectSockets on every node: ["<room>", close?].
  if (spec == "disconnect_sockets") {
    return [](Socket& s, Event& e) {
      auto room = room_arg(e, 0);
      const bool close = e.args.size() > 1 && e.args[1].is_bool() && e.args[1].as_bool();
      BroadcastOperator op(s.server(), s.nsp().name());
      op.to(room);
      s.ack(e, json::array{true});  // first: the sender may be in the room
      op.disconnect_sockets(close);
    };
  }
  if (spec == "server_ack") {
    return [](Socket& s, Event& e) {
      auto event = event_arg(e, 0);
      if (e.args.size() < 2 || !e.args[1].is_number())
        throw WsException("timeout must be a number");
      auto timeout = std::chrono::milliseconds(static_cast<int64_t>(e.args[1].to_number<double>()));
      // Keep the request's ack id: the answer goes back when the client acks.
      auto request = std::make_shared<Event>();
      request->ack_id = e.ack_id;
      e.ack_id.reset();
      std::weak_ptr<Socket> weak = s.weak_from_this();
      s.emit_with_ack(
          event, tail(e.args, 2), timeout,
          [weak, request](AckResult r) {
            auto self = weak.lock();
            if (!self) return;
            json::object answer;
            answer["ok"] = r.ok;
            if (r.ok)
              answer["args"] = std::move(r.args);
            else
              answer["error"] = r.error;
            self->ack(*request, json::array{std::move(answer)}, std::move(r.attachments));
          },
          e.attachments);
    };
  }
  if (spec == "throw") {
    return [](Socket&, Event& e) {
      if (!e.args.empty() && e.args[0].is_string())
        throw WsException(std::string(e.args[0].as_string()));
      throw std::runtime_error("handler failed");
    };
  }
  if (spec == "drop") {
    return [](Socket& s, Event&) { s.drop_transport(); };
  }
  if (spec == "disconnect") {  // arg 0 true: close the whole connection
    return [](Socket& s, Event& e) {
      s.disconnect(!e.args.empty() && e.args[0].is_bool() && e.args[0].as_bool());
    };
  }
  throw std::invalid_argument("unknown handler \"" + spec + "\"");
}

ConnectionHook make_builtin_hook(const std::string& spec) {
  if (spec == "emit_auth") {
    return [](Socket& s) { s.emit("auth", json::array{s.auth()}); };
  }
  throw std::invalid_argument("unknown connection hook \"" + spec + "\"");
}

}  // namespace sb::sio
