#pragma once
// One listening socket per worker on the same port (SO_REUSEPORT): the kernel
// spreads new connections over the workers with no lock of ours.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

namespace sb::net {

class Worker;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  ~Listener();
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;
  // Throws boost::system::system_error when the address cannot be bound.
  Listener(Worker& worker, const std::string& host, uint16_t port, OnAccept on_accept);
  void start();
  void stop();
  uint16_t port() const;

 private:
  void accept();
  void pause();           // out of file descriptors: shed what is queued, retry after a while
  size_t shed_pending();  // accepts and closes queued connections with the reserve descriptor
  Worker& worker_;
  int reserve_fd_ = -1;   // kept open so that shed_pending() has a descriptor to spend
  bool starved_ = false;  // in an out-of-descriptors episode (logged once per episode)
  uint64_t episode_pauses_ = 0;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_timer_;
  OnAccept on_accept_;
};

}  // namespace sb::net
