#include "switchboard/socket.hpp"

#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_socket.hpp"

namespace switchboard {

std::string Socket::id() const {
  return std::string(impl_->id());
}
const std::string& Socket::user_id() const {
  return impl_->user_id();
}
const Json& Socket::auth() const {
  return impl_->auth();
}
const std::string& Socket::nsp() const {
  return impl_->nsp().name();
}
json::object& Socket::data() {
  return impl_->data();
}
void Socket::emit(std::string_view event, Json data) {
  json::array args;
  args.push_back(std::move(data));
  impl_->emit(event, std::move(args));
}
void Socket::emit_args(std::string_view event, json::array args) {
  impl_->emit(event, std::move(args));
}
void Socket::join(const std::string& room) {
  impl_->join(room);
}
void Socket::leave(const std::string& room) {
  impl_->leave(room);
}
const std::vector<std::string>& Socket::rooms() const {
  return impl_->rooms();
}
bool Socket::in_room(std::string_view room) const {
  return impl_->in_room(room);
}
Broadcast Socket::to(std::string room) const {
  Broadcast b(impl_->server(), impl_->nsp().name(), std::string(impl_->id()));
  b.to(std::move(room));
  return b;
}
Broadcast Socket::broadcast() const {
  return Broadcast(impl_->server(), impl_->nsp().name(), std::string(impl_->id()));
}
void Socket::disconnect(bool close) {
  impl_->disconnect(close);
}

Broadcast::Broadcast(sb::sio::SioServer& server, std::string nsp, std::string except_socket)
    : server_(&server), nsp_(std::move(nsp)) {
  // A socket id works as a room of one: socket.to(room) skips its sender so.
  if (!except_socket.empty()) except_.push_back(std::move(except_socket));
}
Broadcast& Broadcast::to(std::string room) {
  rooms_.push_back(std::move(room));
  return *this;
}
Broadcast& Broadcast::except(std::string room) {
  except_.push_back(std::move(room));
  return *this;
}
Broadcast& Broadcast::volatile_() {
  is_volatile_ = true;
  return *this;
}

static sb::sio::BroadcastOperator make_op(sb::sio::SioServer& server, const std::string& nsp,
                                          const std::vector<std::string>& rooms,
                                          const std::vector<std::string>& except, bool vol) {
  sb::sio::BroadcastOperator op(server, nsp);
  for (auto& r : rooms) op.to(r);
  for (auto& r : except) op.except(r);
  if (vol) op.volatile_();
  return op;
}

void Broadcast::emit(std::string_view event, Json data) const {
  json::array args;
  args.push_back(std::move(data));
  emit_args(event, std::move(args));
}
void Broadcast::emit_args(std::string_view event, json::array args) const {
  make_op(*server_, nsp_, rooms_, except_, is_volatile_).emit(event, std::move(args));
}
void Broadcast::sockets_join(std::vector<std::string> rooms) const {
  make_op(*server_, nsp_, rooms_, except_, is_volatile_).sockets_join(std::move(rooms));
}
void Broadcast::sockets_leave(std::vector<std::string> rooms) const {
  make_op(*server_, nsp_, rooms_, except_, is_volatile_).sockets_leave(std::move(rooms));
}
void Broadcast::disconnect_sockets(bool close) const {
  make_op(*server_, nsp_, rooms_, except_, is_volatile_).disconnect_sockets(close);
}

}  // namespace switchboard
