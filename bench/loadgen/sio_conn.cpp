#include "sio_conn.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace sbl {

namespace {
// RFC 6455 section 1.3 sample key and its accept value.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
}  // namespace

// Opens `sock` and binds it to `source` without taking a port yet, so the
// kernel picks the port at connect() time per (source, destination) pair.
boost::system::error_code open_from(tcp::socket& sock, asio::ip::address_v4 source,
                                    const tcp::endpoint& server) {
  boost::system::error_code ec;
  sock.open(server.protocol(), ec);
  if (ec) return ec;
  if (!source.is_unspecified() && server.address().is_v4()) {
    int one = 1;
    ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sock.bind(tcp::endpoint(source, 0), ec);
    if (ec) return ec;
  }
  sock.set_option(tcp::no_delay(true), ec);
  return {};
}

void SioConn::start(asio::ip::address_v4 source, std::string connect_data, ReadyFn on_ready) {
  connect_data_ = std::move(connect_data);
  on_ready_ = std::move(on_ready);
  if (auto ec = open_from(sock_, source, rt_.server())) return fail("socket: " + ec.message());
  sock_.async_connect(rt_.server(), [self = shared_from_this()](boost::system::error_code ec) {
    if (self->state_ == State::Closed) return;
    if (ec) return self->fail("connect: " + ec.message());
    self->state_ = State::Upgrading;
    const auto& t = self->rt_.target();
    std::string req = "GET " + t.path +
                      "?EIO=4&transport=websocket HTTP/1.1\r\n"
                      "Host: " +
                      t.host + ":" + std::to_string(t.port) +
                      "\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: " +
                      std::string(kKey) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    self->out_ += req;
    self->flush();
    self->do_read();
  });
}

void SioConn::fail(const std::string& why) {
  if (state_ == State::Closed) return;
  const bool was_ready = state_ == State::Ready;
  state_ = State::Closed;
  boost::system::error_code ec;
  sock_.close(ec);
  if (was_ready) {
    rt_.closed.fetch_add(1, std::memory_order_relaxed);
    rt_.note_error("after connect: " + why);
    if (on_close) on_close(*this, why);
  } else {
    rt_.failed.fetch_add(1, std::memory_order_relaxed);
    rt_.note_error(why);
    if (on_ready_) {
      auto cb = std::move(on_ready_);
      cb(*this, why);
    }
  }
}

void SioConn::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  boost::system::error_code ec;
  sock_.close(ec);
}

void SioConn::do_read() {
  if (rbuf_.empty()) rbuf_.resize(4096);
  if (rlen_ == rbuf_.size()) rbuf_.resize(rbuf_.size() * 2);
  sock_.async_read_some(
      asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
      [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        if (self->state_ == State::Closed) return;
        if (ec) {
          return self->fail(ec == asio::error::eof ? "closed by server" : "read: " + ec.message());
        }
        self->on_read(n);
      });
}

void SioConn::on_read(size_t n) {
  rlen_ += n;
  const int64_t now = now_ns();
  if (state_ == State::Upgrading && !parse_upgrade()) {
    if (state_ != State::Closed) do_read();
    return;
  }
  parse_frames(now);
  if (state_ != State::Closed) do_read();
}

bool SioConn::parse_upgrade() {
  std::string_view data(reinterpret_cast<const char*>(rbuf_.data()), rlen_);
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (rlen_ > 16384) fail("upgrade: response headers too large");
    return false;
  }
  std::string_view head = data.substr(0, end);
  if (head.rfind("HTTP/1.1 101", 0) != 0) {
    fail("upgrade refused: " + std::string(head.substr(0, head.find('\r'))));
    return false;
  }
  if (head.find(kAccept) == std::string_view::npos) {
    fail("upgrade: bad Sec-WebSocket-Accept");
    return false;
  }
  const size_t used = end + 4;
  std::memmove(rbuf_.data(), rbuf_.data() + used, rlen_ - used);
  rlen_ -= used;
  state_ = State::Opening;
  return true;
}

void SioConn::parse_frames(int64_t now) {
  size_t pos = 0;
  while (state_ != State::Closed) {
    const size_t avail = rlen_ - pos;
    if (avail < 2) break;
    const uint8_t* p = rbuf_.data() + pos;
    const bool fin = p[0] & 0x80;
    const uint8_t op = p[0] & 0x0f;
    if (p[1] & 0x80) return fail("protocol: masked server frame");
    uint64_t len = p[1] & 0x7f;
    size_t hl = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (uint64_t(p[2]) << 8) | p[3];
      hl = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      hl = 10;
    }
    if (len > (64u << 20)) return fail("protocol: frame too large");
    if (avail < hl + len) {
      if (rbuf_.size() < hl + len) {
        std::memmove(rbuf_.data(), p, avail);
        rlen_ = avail;
        pos = 0;
        rbuf_.resize(hl + len);
        return;
      }
      break;
    }
    std::string_view payload(reinterpret_cast<const char*>(p + hl), len);
    pos += hl + len;
    switch (op) {
      case 0x1:  // text
        if (fin)
          on_eio(payload, now);
        else
          frag_.assign(payload);
        break;
      case 0x0:  // continuation
        frag_.append(payload);
        if (fin) {
          std::string whole = std::move(frag_);
          frag_.clear();
          on_eio(whole, now);
        }
        break;
      case 0x2:  // binary attachment: not used by the scenarios
        break;
      case 0x8:  // close
        send_frame(0x8, payload.substr(0, std::min<size_t>(payload.size(), 2)));
        return fail("websocket close from server");
      case 0x9:  // ping
        send_frame(0xA, payload);
        break;
      case 0xA:
        break;
      default:
        return fail("protocol: bad opcode");
    }
  }
  if (state_ == State::Closed) return;
  if (pos > 0) {
    std::memmove(rbuf_.data(), rbuf_.data() + pos, rlen_ - pos);
    rlen_ -= pos;
  }
}

void SioConn::on_eio(std::string_view text, int64_t now) {
  if (text.empty()) return fail("protocol: empty engine.io packet");
  switch (text[0]) {
    case '0':  // OPEN
      if (state_ != State::Opening) return fail("protocol: unexpected OPEN");
      state_ = State::Joining;
      send_frame(0x1, "40", connect_data_);
      return;
    case '2':  // PING -> PONG with the same data
      send_frame(0x1, "3", text.substr(1));
      return;
    case '1':
      return fail("engine.io close");
    case '6':
      return;
    case '4':
      break;
    default:
      return;
  }
  std::string_view msg = text.substr(1);
  if (msg.empty()) return fail("protocol: empty socket.io packet");
  if (state_ == State::Joining) {
    if (msg[0] == '0') {
      state_ = State::Ready;
      rt_.connected.fetch_add(1, std::memory_order_relaxed);
      if (on_ready_) {
        auto cb = std::move(on_ready_);
        cb(*this, "");
      }
      return;
    }
    if (msg[0] == '4') return fail("connect_error: " + std::string(msg.substr(1, 200)));
    return;  // events before CONNECT: ignore
  }
  if (msg[0] == '1') return fail("socket.io disconnect from server");
  if (on_message) on_message(*this, msg, now);
}

void SioConn::emit_packet(std::string_view sio_packet) {
  if (state_ == State::Closed) return;
  send_frame(0x1, "4", sio_packet);
}

void SioConn::send_frame(uint8_t opcode, std::string_view a, std::string_view b) {
  const uint64_t len = a.size() + b.size();
  uint8_t hdr[14];
  size_t hl = 2;
  hdr[0] = static_cast<uint8_t>(0x80 | opcode);
  if (len < 126) {
    hdr[1] = static_cast<uint8_t>(0x80 | len);
  } else if (len < 65536) {
    hdr[1] = 0x80 | 126;
    hdr[2] = static_cast<uint8_t>(len >> 8);
    hdr[3] = static_cast<uint8_t>(len);
    hl = 4;
  } else {
    hdr[1] = 0x80 | 127;
    for (int i = 0; i < 8; ++i) hdr[2 + i] = static_cast<uint8_t>(len >> (56 - 8 * i));
    hl = 10;
  }
  std::memcpy(hdr + hl, mask_, 4);
  hl += 4;
  out_.append(reinterpret_cast<const char*>(hdr), hl);
  const size_t off = out_.size();
  out_.append(a);
  out_.append(b);
  for (size_t i = 0; i < len; ++i) out_[off + i] ^= static_cast<char>(mask_[i & 3]);
  if (!writing_) flush();
}

void SioConn::flush() {
  if (out_.empty() || state_ == State::Closed) return;
  writing_ = true;
  wbuf_.swap(out_);
  out_.clear();
  asio::async_write(sock_, asio::buffer(wbuf_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      self->wbuf_.clear();
                      if (self->state_ == State::Closed) return;
                      if (ec) return self->fail("write: " + ec.message());
                      self->flush();
                    });
}

}  // namespace sbl
