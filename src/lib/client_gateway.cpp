#include "switchboard/client_gateway.hpp"

#include <utility>

#include "gateways/client/namespace.hpp"
#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"
#include "lib/namespace_state.hpp"
#include "lib/reply_state.hpp"
#include "switchboard/errors.hpp"

namespace switchboard {

namespace {

// The payload NestJS's BaseWsExceptionFilter sends: what the server's own
// handler errors look like too (see gateways/client/sio_client.cpp).
json::object exception_payload(const std::string& message, const std::string& event,
                               const Json& data) {
  return json::object{{"status", "error"},
                      {"message", message},
                      {"cause", json::object{{"pattern", event}, {"data", data}}}};
}

// Runs interceptors[i..] around `last`.
void run_chain(const std::vector<Interceptor>& chain, size_t i, Context& ctx, const Next& last) {
  if (i == chain.size()) return last();
  chain[i](ctx, [&chain, i, &ctx, &last] { run_chain(chain, i + 1, ctx, last); });
}

}  // namespace

// Posted to the socket's worker: the Socket lives there, and the reply may
// come from any thread.
template <class Fn>
static void post_to_socket(Reply::State& st, Fn fn) {
  st.server->post(st.worker, [weak = st.socket, fn = std::move(fn)]() mutable {
    if (auto s = weak.lock(); s && s->connected()) fn(*s);
  });
}

void Reply::operator()(Json value) {
  json::array args;
  args.push_back(std::move(value));
  this->args(std::move(args));
}

void Reply::args(json::array values) {
  if (!state_ || !state_->ack_id || state_->done.exchange(true)) return;
  post_to_socket(*state_,
                 [id = *state_->ack_id, values = std::move(values)](sb::sio::Socket& s) mutable {
                   sb::sio::Event e;
                   e.ack_id = id;
                   s.ack(e, std::move(values));
                 });
}

void Reply::fail(const std::string& message) {
  if (!state_ || state_->done.exchange(true)) return;
  json::array args;
  args.push_back(exception_payload(message, state_->event, state_->data));
  post_to_socket(*state_, [args = std::move(args)](sb::sio::Socket& s) mutable {
    s.emit("exception", std::move(args));
  });
}

bool Reply::pending() const {
  return state_ && state_->ack_id && !state_->done.load();
}

const std::string& Context::event() const {
  return event_->name;
}
const Json& Context::data() const {
  static const Json null;
  return event_->args.empty() ? null : event_->args.front();
}
const json::array& Context::args() const {
  return event_->args;
}
const std::vector<std::string>& Context::attachments() const {
  return event_->attachments;
}
bool Context::wants_ack() const {
  return event_->wants_ack();
}

void Context::ack(Json value) {
  json::array args;
  args.push_back(std::move(value));
  socket_.impl().ack(*event_, std::move(args));  // clears the event's ack id: once
}

Reply Context::reply() {
  if (!reply_) {
    auto& s = socket_.impl();
    reply_ = std::make_shared<Reply::State>();
    reply_->server = &s.server();
    reply_->worker = s.worker_index();
    reply_->socket = s.weak_from_this();
    reply_->ack_id = std::exchange(event_->ack_id, std::nullopt);  // one ack in all
    reply_->event = event_->name;
    reply_->data = data();
  }
  return Reply(reply_);
}

const std::string& ClientGateway::name() const {
  return state_->name;
}

ClientGateway& ClientGateway::on_event(std::string event, EventHandler handler) {
  auto state = state_;
  sb::sio::EventHandler h = [state, handler = std::move(handler)](sb::sio::Socket& s,
                                                                  sb::sio::Event& e) {
    Context ctx(Socket(s), e);
    try {
      for (auto& g : state->guards)
        if (!g(ctx)) throw WsException("Forbidden resource");
      run_chain(state->interceptors, 0, ctx, [&] { handler(ctx); });
    } catch (const WsException& ex) {
      // The server's own exception type: it sends the `exception` event.
      if (ex.payload().is_null()) throw sb::sio::WsException(ex.what());
      throw sb::sio::WsException(ex.what(), ex.payload());
    }
  };
  if (event == "*")
    state_->ns->on_any(std::move(h));
  else
    state_->ns->on(std::move(event), std::move(h));
  return *this;
}

ClientGateway& ClientGateway::guard(Guard g) {
  state_->guards.push_back(std::move(g));
  return *this;
}

ClientGateway& ClientGateway::intercept(Interceptor i) {
  state_->interceptors.push_back(std::move(i));
  return *this;
}

ClientGateway& ClientGateway::use(ConnectGuard g) {
  state_->ns->use([g = std::move(g)](sb::sio::Socket& s) -> std::optional<sb::sio::ConnectRefusal> {
    Socket pub(s);
    try {
      if (!g(pub)) return sb::sio::ConnectRefusal{"Forbidden", nullptr};
    } catch (const WsException& e) {
      return sb::sio::ConnectRefusal{e.what(), e.payload()};
    }
    return std::nullopt;
  });
  return *this;
}

ClientGateway& ClientGateway::on_connection(ConnectionHook hook) {
  state_->ns->on_connection([hook = std::move(hook)](sb::sio::Socket& s) {
    Socket pub(s);
    hook(pub);
  });
  return *this;
}

ClientGateway& ClientGateway::on_disconnect(DisconnectHook hook) {
  state_->ns->on_disconnect([hook = std::move(hook)](sb::sio::Socket& s, const std::string& why) {
    Socket pub(s);
    hook(pub, why);
  });
  return *this;
}

Broadcast ClientGateway::to(std::string room) const {
  Broadcast b(*server_, state_->name);
  b.to(std::move(room));
  return b;
}

void ClientGateway::emit(std::string_view event, Json data) const {
  Broadcast(*server_, state_->name).emit(event, std::move(data));
}

}  // namespace switchboard
