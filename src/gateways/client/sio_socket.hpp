#pragma once
// A client's connection to one namespace. Lives on its session's worker; call
// its methods from handlers (which run there) or post to that worker.
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gateways/client/sio_server.hpp"
#include "gateways/client/sio_types.hpp"
#include "net/inline_id.hpp"
#include "net/token_bucket.hpp"

namespace sb::eio {
class EioSession;
struct Handshake;
}  // namespace sb::eio

namespace sb::sio {

class SioClient;

class Socket : public std::enable_shared_from_this<Socket> {
 public:
  Socket(SioServer& server, SioClient& client, const Namespace& nsp, std::string id,
         boost::json::value auth, std::string user_id);
  ~Socket();

  std::string_view id() const { return id_; }
  const std::string& user_id() const { return user_id_; }
  bool authenticated() const { return !user_id_.empty(); }
  const boost::json::value& auth() const { return auth_; }
  const eio::Handshake& handshake() const;
  const Namespace& nsp() const { return *nsp_; }
  SioServer& server() const { return server_; }
  boost::json::object& data() { return data_; }
  bool connected() const { return client_ != nullptr; }
  unsigned worker_index() const;

  void emit(std::string_view event, boost::json::array args = {},
            std::vector<Bytes> attachments = {});
  void emit_volatile(std::string_view event, boost::json::array args = {});
  void emit_with_ack(std::string_view event, boost::json::array args,
                     std::chrono::milliseconds timeout, AckCallback cb,
                     std::vector<Bytes> attachments = {});
  // Answers a client's event that asked for an acknowledgement (once).
  void ack(Event& e, boost::json::array args = {}, std::vector<Bytes> attachments = {});

  // False when refused: a name longer than limits.max_name_bytes, or
  // limits.max_rooms reached (counted in switchboard_limit_rejected_total).
  bool join(const std::string& room);
  void leave(const std::string& room);
  const std::vector<std::string>& rooms() const { return rooms_; }
  bool in_room(std::string_view room) const;

  // The room, minus this socket (Socket.IO's socket.to(room)).
  BroadcastOperator to(std::string room) const;
  // The whole namespace, minus this socket (socket.broadcast).
  BroadcastOperator broadcast() const;

  // Leaves the namespace ("server namespace disconnect"); `close` ends the whole connection.
  void disconnect(bool close = false);
  // Cuts the transport without a goodbye (what a network drop looks like to the client).
  void drop_transport();

  // Internal: called by the client.
  void send_wires(const std::vector<net::WirePtr>& wires, bool is_volatile = false);
  void on_ack(uint64_t id, boost::json::array args, std::vector<Bytes> attachments);
  void on_disconnect(const std::string& reason);
  // Takes an event from this socket's rate (limits.events_per_second).
  bool take_event_token(uint64_t now_ms);
  bool rate_notified = false;  // the client was told of the current run of refusals
  bool recovered = false;

 private:
  // Beside the two flags: they and the ack counter share one word (memory per
  // idle socket). 2^32 acks on one socket wrap around; an id is only reused
  // if the ack sent 4 billion emits earlier is still pending.
  uint32_t next_ack_id_ = 0;

 public:
  uint64_t mark = 0;  // broadcast dedupe stamp (see NamespaceShard::mark_seq)
  // Connection state recovery, only when it is on (most sockets carry none of it).
  struct Recovery {
    net::InlineId pid;               // private session id the client sends back
    uint64_t skip_upto = 0;          // recovered: broadcasts up to this seq were replayed
    protocol::StreamId skip_stream;  // recovered from the shared log: entries up to this one
  };
  std::unique_ptr<Recovery> recovery;

 private:
  struct PendingAck {
    uint64_t id;
    AckCallback cb;
  };
  SioServer& server_;
  SioClient* client_;
  const Namespace* nsp_;
  net::InlineId id_;
  std::string user_id_;
  boost::json::value auth_;
  boost::json::object data_;
  std::vector<std::string> rooms_;
  std::vector<PendingAck> pending_acks_;
  net::TokenBucket events_;
};

}  // namespace sb::sio
