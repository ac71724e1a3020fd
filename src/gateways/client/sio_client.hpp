#pragma once
// The Socket.IO side of one Engine.IO session: decodes packets, connects
// namespaces (guard, middlewares), assembles binary attachments and
// dispatches events to the namespace's handlers.
#include <boost/container/small_vector.hpp>
#include <memory>
#include <string>
#include <vector>

#include "gateways/client/eio_session.hpp"
#include "gateways/client/sio_server.hpp"
#include "protocol/socketio_packet.hpp"

namespace sb::sio {

class Socket;

// The connect timeout is the client's embedded wheel timer.
class SioClient : public eio::EioApp, private net::WheelTimer {
 public:
  SioClient(SioServer& server, eio::EioSession& session);
  ~SioClient() override;

  eio::EioSession& session() { return session_; }

  void on_message(std::string_view text) override;
  void on_binary(std::string_view bytes) override;
  void on_close(const char* reason) override;

  // A socket left its namespace (server- or client-initiated).
  void remove(Socket& s, const std::string& reason);
  // Server-side close of the whole connection: each namespace gets its
  // DISCONNECT packet first (as the reference server does), then the transport closes.
  void disconnect_all();
  void send(const std::vector<net::WirePtr>& wires, bool is_volatile);

 private:
  void handle(Packet&& p, std::vector<Bytes>&& attachments);
  void connect(Packet& p);
  // What a recovery hands back (from this node's store or the shared log).
  struct Resumed {
    SavedSession session;
    std::vector<std::shared_ptr<const Broadcast>> missed;
    uint64_t upto_seq = 0;
    protocol::StreamId upto_stream;
  };
  void restore_shared(SharedRecovery& shared, const Namespace& ns, boost::json::value auth,
                      std::string user_id, std::string pid, std::string offset);
  void finish_restore(const Namespace& ns, boost::json::value auth, std::string user_id,
                      std::optional<SharedRestored> r);
  void finish_connect(const Namespace& ns, boost::json::value auth, std::string user_id,
                      std::optional<Resumed> restored);
  void refuse(std::string_view nsp, std::string_view message, boost::json::value data);
  void dispatch_event(Socket& s, Packet& p, std::vector<Bytes>&& attachments);
  bool admit_event(Socket& s, Event& e);
  void fail(const char* reason);
  std::shared_ptr<Socket> find(std::string_view nsp);
  void on_timer() override;  // connect timeout

  SioServer& server_;
  eio::EioSession& session_;
  // Most clients join one namespace: its socket is kept inline.
  boost::container::small_vector<std::shared_ptr<Socket>, 1> sockets_;
  // A binary packet waiting for its attachments (allocated only then: idle
  // clients are the common case).
  struct PendingBinary {
    Packet packet;
    std::vector<Bytes> attachments;
  };
  std::unique_ptr<PendingBinary> pending_;
  bool ever_connected_ = false;
  // Namespaces whose shared recovery is pending (allocated only then).
  std::unique_ptr<std::vector<std::string>> restoring_;
};

}  // namespace sb::sio
