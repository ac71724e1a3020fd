#pragma once
// One listening socket per worker on the same port (SO_REUSEPORT): the kernel
// spreads new connections over the workers with no lock of ours.
#include <boost/asio/ip/tcp.hpp>
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
  void shed_one();  // out of file descriptors: accept and close one pending connection
  Worker& worker_;
  int reserve_fd_ = -1;  // kept open so that shed_one() has a descriptor to spend
  uint64_t shed_count_ = 0;
  boost::asio::ip::tcp::acceptor acceptor_;
  OnAccept on_accept_;
};

}  // namespace sb::net
