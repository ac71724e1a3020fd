#pragma once
// A long-lived HTTP response written as a stream (Server-Sent Events): the
// socket taken from an HttpConnection after the request, a queue of shared
// buffers written with one gather write per loop iteration, and a cap on the
// bytes not yet written: a peer that does not read is disconnected instead of
// growing our memory (the same policy as WsConnection). Anything the peer
// sends is read into the worker's buffer and discarded; EOF means it left.
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::net {

class Worker;

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  using OnClosed = std::function<void(const char* reason)>;

  StreamConnection(Worker& worker, boost::asio::ip::tcp::socket socket, uint64_t max_outbound_bytes,
                   std::string remote_address = {});
  ~StreamConnection();

  // Called once when the connection ends (peer gone, write error, slow
  // consumer, or close()/abort()). Set before start().
  void set_on_closed(OnClosed cb) { on_closed_ = std::move(cb); }
  // Starts watching the socket for the peer going away.
  void start();

  // Queues `bytes`; `owner` keeps them alive until written (a shared broadcast
  // buffer is written to every subscriber without a copy). Owner worker only.
  void send(std::shared_ptr<const void> owner, std::string_view bytes);
  void send(std::string bytes);

  // Writes what is queued, then closes (bounded wait). on_closed runs now.
  void close(const char* reason);
  // Closes at once.
  void abort(const char* reason);

  bool open() const { return state_ == State::Open; }
  uint64_t pending_bytes() const { return pending_bytes_; }
  // True when something was queued since the last call (heartbeats skip busy streams).
  bool take_activity() {
    bool a = activity_;
    activity_ = false;
    return a;
  }
  Worker& worker() { return worker_; }
  const std::string& remote_address() const { return remote_; }

 private:
  enum class State { Open, Closing, Closed };
  struct Chunk {
    std::shared_ptr<const void> owner;
    boost::asio::const_buffer bytes;
  };

  void wait_readable();
  void schedule_flush();
  void flush();
  void notify_closed(const char* reason);
  void shutdown_now();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  uint64_t max_outbound_bytes_;
  OnClosed on_closed_;
  std::vector<Chunk> queue_;
  std::vector<Chunk> inflight_;
  std::vector<boost::asio::const_buffer> gather_;
  uint64_t pending_bytes_ = 0;  // queued + being written
  std::string remote_;
  State state_ = State::Open;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool read_pending_ = false;
  bool close_after_flush_ = false;
  bool activity_ = false;
};

// Takes over a socket released by HttpConnection::detach() on `worker`.
// Returns a closed socket (and closes fd) on failure.
boost::asio::ip::tcp::socket adopt_socket(Worker& worker, int fd);

}  // namespace sb::net
