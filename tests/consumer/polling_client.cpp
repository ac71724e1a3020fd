#include "polling_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdexcept>

std::string http_request(uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  timeval tv{30, 0};  // generous: a long-poll GET waits for its packet
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST")
    req +=
        "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n";
  req += "\r\n" + body;
  for (size_t off = 0; off < req.size();) {
    ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("send failed");
    }
    off += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    auto head_end = resp.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto cl = resp.find("Content-Length: ");
      if (cl == std::string::npos) cl = resp.find("content-length: ");
      if (cl != std::string::npos && cl < head_end) {
        size_t len = std::stoul(resp.substr(cl + 16));
        if (resp.size() >= head_end + 4 + len) {
          ::close(fd);
          return resp.substr(head_end + 4, len);
        }
      }
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto head_end = resp.find("\r\n\r\n");
  if (head_end == std::string::npos) throw std::runtime_error("no HTTP response");
  return resp.substr(head_end + 4);
}
