// The TLS context (file errors, a key that does not match) and the terminator
// with real parts: a worker loop, a loopback listener, OpenSSL on both sides.
// The certificates come from the `openssl` command line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <system_error>
#include <thread>

#include "net/tls_context.hpp"
#include "net/tls_counters.hpp"
#include "net/tls_terminator.hpp"
#include "net/worker.hpp"

namespace {

namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;
using boost::asio::ip::tcp;

struct Certs {
  fs::path dir, cert, key, other_key;
};

// Removes the certificates' directory when the test program exits.
struct DirRemover {
  fs::path dir;
  ~DirRemover() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// A self-signed certificate and its key, plus an unrelated key.
const Certs& certs() {
  static const Certs c = [] {
    Certs c;
    c.dir = fs::temp_directory_path() / ("sb-tls-unit-" + std::to_string(::getpid()));
    fs::create_directories(c.dir);
    c.cert = c.dir / "cert.pem";
    c.key = c.dir / "key.pem";
    c.other_key = c.dir / "other.pem";
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
        "-keyout " +
        c.key.string() + " -out " + c.cert.string() +
        " 2>/dev/null && openssl genpkey -algorithm RSA -out " + c.other_key.string() +
        " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return c;
  }();
  static const DirRemover remover{c.dir};
  return c;
}

std::string error_of(const std::string& cert, const std::string& key) {
  try {
    sb::net::make_tls_context(cert, key);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(TlsContext, LoadsAMatchingPairAndNamesTheFileAtFault) {
  const auto& c = certs();
  EXPECT_NE(sb::net::make_tls_context(c.cert.string(), c.key.string()), nullptr);
  EXPECT_NE(
      error_of((c.dir / "missing.pem").string(), c.key.string()).find("tls.cert: cannot read"),
      std::string::npos);
  EXPECT_NE(error_of(c.cert.string(), c.other_key.string()).find("tls.key:"), std::string::npos);
  EXPECT_NE(error_of(c.key.string(), c.key.string()).find("tls.cert:"), std::string::npos);
}

// A worker accepting TLS on a loopback port; the plain-text end echoes what it
// reads, upper-cased, and reports the address it was given.
struct EchoServer {
  sb::net::Worker worker{0};
  std::shared_ptr<tcp::acceptor> acceptor;
  std::promise<std::string> remote;
  bool remote_set = false;

  EchoServer() {
    const auto& c = certs();
    auto ctx = sb::net::make_tls_context(c.cert.string(), c.key.string());
    acceptor = std::make_shared<tcp::acceptor>(
        worker.io(), tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    accept(ctx);
    worker.start();
  }
  ~EchoServer() {
    worker.post([a = acceptor] { a->close(); });
    worker.stop();
    worker.join();
  }
  uint16_t port() const { return acceptor->local_endpoint().port(); }

  void accept(sb::net::TlsContextPtr ctx) {
    acceptor->async_accept([this, ctx](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      sb::net::start_tls_session(
          worker, std::move(s), ctx, [this](tcp::socket plain, std::string ip) {
            if (!remote_set) {
              remote_set = true;
              remote.set_value(ip);
            }
            echo(std::make_shared<tcp::socket>(std::move(plain)), std::make_shared<std::string>());
          });
      accept(ctx);
    });
  }

  static void echo(std::shared_ptr<tcp::socket> s, std::shared_ptr<std::string> buf) {
    buf->resize(4096);
    s->async_read_some(
        boost::asio::buffer(*buf), [s, buf](const boost::system::error_code& ec, size_t n) {
          if (ec) return;  // the pump closed its end
          buf->resize(n);
          for (auto& ch : *buf)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          boost::asio::async_write(*s, boost::asio::buffer(*buf),
                                   [s, buf](const boost::system::error_code& wec, size_t) {
                                     if (!wec) echo(s, buf);
                                   });
        });
  }
};

TEST(TlsTerminator, PumpsBothWaysAndPassesThePeerAddress) {
  EchoServer server;
  const uint64_t ok_before = sb::net::tls_counters().handshakes_ok.load();
  boost::asio::io_context io;
  ssl::context cctx(ssl::context::tls_client);
  cctx.set_verify_mode(ssl::verify_none);
  ssl::stream<tcp::socket> client(io, cctx);
  client.next_layer().connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
  client.handshake(ssl::stream_base::client);
  EXPECT_EQ(SSL_version(client.native_handle()) >= TLS1_2_VERSION, true);

  // More than one buffer's worth, so the pump loops and waits on writes.
  std::string sent(200 * 1024, 'a');
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + i % 26);
  std::string got(sent.size(), '\0');
  std::thread writer([&] { boost::asio::write(client, boost::asio::buffer(sent)); });
  boost::asio::read(client, boost::asio::buffer(got));
  writer.join();
  std::string expect = sent;
  for (auto& ch : expect) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_TRUE(got == expect);
  EXPECT_EQ(server.remote.get_future().get(), "127.0.0.1");
  EXPECT_GT(sb::net::tls_counters().handshakes_ok.load(), ok_before);

  // close_notify from the client: the plain side sees EOF and closes, the
  // pump answers with its own close_notify.
  boost::system::error_code ec;
  client.shutdown(ec);
  EXPECT_TRUE(!ec || ec == boost::asio::error::eof) << ec.message();
}

TEST(TlsTerminator, RefusesPlainTextAndCountsIt) {
  EchoServer server;
  const uint64_t failed_before = sb::net::tls_counters().handshakes_failed.load();
  boost::asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server.port()));
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(req));
  // The server ends the connection (maybe after an alert): read until it does.
  char buf[256];
  boost::system::error_code ec;
  while (!ec) s.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
      << ec.message();
  for (int i = 0; i < 500 && sb::net::tls_counters().handshakes_failed.load() == failed_before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(sb::net::tls_counters().handshakes_failed.load(), failed_before);
}

}  // namespace
