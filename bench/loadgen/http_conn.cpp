#include "http_conn.hpp"

#include <boost/asio/write.hpp>
#include <cctype>
#include <charconv>

namespace sbl {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

std::string_view header_value(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name))
      return trim(line.substr(colon + 1));
    pos = end;
  }
  return {};
}

bool parse_head(std::string_view data, ResponseHead& out) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return false;
  std::string_view head = data.substr(0, end + 2);
  out = ResponseHead{};
  out.head_len = end + 4;
  if (head.size() > 12 && head.rfind("HTTP/1.", 0) == 0)
    std::from_chars(head.data() + 9, head.data() + 12, out.status);
  auto te = header_value(head, "transfer-encoding");
  out.chunked = te.find("chunked") != std::string_view::npos;
  auto cl = header_value(head, "content-length");
  if (!cl.empty()) {
    int64_t v = 0;
    std::from_chars(cl.data(), cl.data() + cl.size(), v);
    out.content_length = v;
  }
  out.content_type = std::string(header_value(head, "content-type"));
  return true;
}

// ---------------------------------------------------------------- HttpPoster

void HttpPoster::connect(asio::ip::address_v4 source,
                         std::function<void(const std::string&)> on_ready) {
  if (auto ec = open_from(sock_, source, rt_.server())) {
    state_ = State::Dead;
    return on_ready("socket: " + ec.message());
  }
  sock_.async_connect(rt_.server(), [self = shared_from_this(),
                                     on_ready = std::move(on_ready)](boost::system::error_code ec) {
    if (ec) {
      self->state_ = State::Dead;
      return on_ready("connect: " + ec.message());
    }
    self->state_ = State::Idle;
    self->do_read();
    on_ready("");
  });
}

void HttpPoster::post(std::string_view path, std::string_view extra_headers, std::string_view body,
                      DoneFn done) {
  if (state_ != State::Idle) return done(0);
  state_ = State::Busy;
  done_ = std::move(done);
  const auto& t = rt_.target();
  req_.clear();
  req_.append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(t.host);
  req_.append(":").append(std::to_string(t.port)).append("\r\n");
  req_.append(extra_headers);
  req_.append("Content-Type: application/json\r\nContent-Length: ");
  req_.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  asio::async_write(sock_, asio::buffer(req_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      if (ec) self->fail("write: " + ec.message());
                    });
}

void HttpPoster::do_read() {
  if (chunk_.empty()) chunk_.resize(8192);
  sock_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](
                                                  boost::system::error_code ec, size_t n) {
    if (self->state_ == State::Dead) return;
    if (ec) return self->fail(ec == asio::error::eof ? "closed by server" : ec.message());
    self->rbuf_.append(self->chunk_.data(), n);
    for (;;) {
      ResponseHead h;
      if (!parse_head(self->rbuf_, h)) break;
      size_t total;
      if (h.chunked) {
        auto end = self->rbuf_.find("0\r\n\r\n", h.head_len);
        if (end == std::string::npos) break;
        total = end + 5;
      } else {
        total = h.head_len + static_cast<size_t>(std::max<int64_t>(h.content_length, 0));
        if (self->rbuf_.size() < total) break;
      }
      const bool close = iequals(
          header_value(std::string_view(self->rbuf_).substr(0, h.head_len), "connection"), "close");
      self->rbuf_.erase(0, total);
      if (self->state_ != State::Busy) return self->fail("response without a request");
      self->state_ = close ? State::Dead : State::Idle;
      auto done = std::move(self->done_);
      self->done_ = nullptr;
      if (done) done(h.status);
      if (close) return;
    }
    self->do_read();
  });
}

void HttpPoster::fail(const std::string& why) {
  if (state_ == State::Dead) return;
  const bool busy = state_ == State::Busy;
  state_ = State::Dead;
  rt_.note_error("http: " + why);
  boost::system::error_code ec;
  sock_.close(ec);
  if (busy && done_) {
    auto done = std::move(done_);
    done_ = nullptr;
    done(0);
  }
}

// ---------------------------------------------------------------- SseConn

void SseConn::start(asio::ip::address_v4 source, std::string path, ReadyFn on_ready) {
  on_ready_ = std::move(on_ready);
  if (auto ec = open_from(sock_, source, rt_.server())) return fail("socket: " + ec.message());
  sock_.async_connect(rt_.server(), [self = shared_from_this(),
                                     path = std::move(path)](boost::system::error_code ec) {
    if (self->state_ == State::Closed) return;
    if (ec) return self->fail("connect: " + ec.message());
    self->state_ = State::Head;
    const auto& t = self->rt_.target();
    auto req = std::make_shared<std::string>("GET " + path + " HTTP/1.1\r\nHost: " + t.host + ":" +
                                             std::to_string(t.port) +
                                             "\r\nAccept: text/event-stream\r\n"
                                             "Cache-Control: no-cache\r\n\r\n");
    asio::async_write(self->sock_, asio::buffer(*req),
                      [self, req](boost::system::error_code ec, size_t) {
                        if (ec) self->fail("write: " + ec.message());
                      });
    self->do_read();
  });
}

void SseConn::close() {
  state_ = State::Closed;
  boost::system::error_code ec;
  sock_.close(ec);
}

void SseConn::fail(const std::string& why) {
  if (state_ == State::Closed) return;
  const bool streaming = state_ == State::Streaming;
  state_ = State::Closed;
  boost::system::error_code ec;
  sock_.close(ec);
  if (streaming) {
    rt_.closed.fetch_add(1, std::memory_order_relaxed);
    rt_.note_error("sse after connect: " + why);
  } else {
    rt_.failed.fetch_add(1, std::memory_order_relaxed);
    rt_.note_error("sse: " + why);
    if (on_ready_) {
      auto cb = std::move(on_ready_);
      cb(*this, head_.status, why);
    }
  }
}

void SseConn::do_read() {
  if (chunk_.empty()) chunk_.resize(4096);
  sock_.async_read_some(
      asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
        if (self->state_ == State::Closed) return;
        if (ec) return self->fail(ec == asio::error::eof ? "closed by server" : ec.message());
        const int64_t now = now_ns();
        std::string_view got(self->chunk_.data(), n);
        if (self->state_ == State::Head) {
          self->rbuf_.append(got);
          if (!parse_head(self->rbuf_, self->head_)) {
            if (self->rbuf_.size() > 16384) return self->fail("response head too large");
            return self->do_read();
          }
          if (self->head_.status != 200 ||
              self->head_.content_type.find("text/event-stream") == std::string::npos) {
            return self->fail("HTTP " + std::to_string(self->head_.status) + " (" +
                              self->head_.content_type + ")");
          }
          self->state_ = State::Streaming;
          self->rt_.connected.fetch_add(1, std::memory_order_relaxed);
          if (self->on_ready_) {
            auto cb = std::move(self->on_ready_);
            cb(*self, 200, "");
          }
          std::string rest = self->rbuf_.substr(self->head_.head_len);
          self->rbuf_.clear();
          self->feed_body(rest, now);
        } else {
          self->feed_body(got, now);
        }
        if (self->state_ != State::Closed) self->do_read();
      });
}

void SseConn::feed_body(std::string_view bytes, int64_t now) {
  if (!head_.chunked) return feed_text(bytes, now);
  size_t i = 0;
  while (i < bytes.size() && state_ != State::Closed) {
    if (chunk_crlf_ > 0) {
      ++i;
      --chunk_crlf_;
    } else if (in_chunk_size_) {
      char c = bytes[i++];
      if (c != '\n') {
        size_line_ += c;
        continue;
      }
      uint64_t size = 0;
      std::string_view s = size_line_;
      auto semi = s.find(';');
      if (semi != std::string_view::npos) s = s.substr(0, semi);
      s = trim(s);
      std::from_chars(s.data(), s.data() + s.size(), size, 16);
      size_line_.clear();
      if (size == 0) return fail("stream ended");
      chunk_left_ = size;
      in_chunk_size_ = false;
    } else {
      size_t take = std::min<uint64_t>(chunk_left_, bytes.size() - i);
      feed_text(bytes.substr(i, take), now);
      i += take;
      chunk_left_ -= take;
      if (chunk_left_ == 0) {
        in_chunk_size_ = true;
        chunk_crlf_ = 2;
      }
    }
  }
}

void SseConn::feed_text(std::string_view text, int64_t now) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      line_.append(text);
      return;
    }
    line_.append(text.substr(0, nl));
    text.remove_prefix(nl + 1);
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (has_data_ && on_event) on_event(*this, data_, now);
      data_.clear();
      has_data_ = false;
    } else if (line.rfind("data:", 0) == 0) {
      std::string_view v = line.substr(5);
      if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (has_data_) data_ += '\n';
      data_.append(v);
      has_data_ = true;
    }
    line_.clear();
  }
}

}  // namespace sbl
