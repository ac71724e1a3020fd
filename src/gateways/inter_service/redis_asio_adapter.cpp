#include "gateways/inter_service/redis_asio_adapter.hpp"

#include <hiredis/async.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

namespace sb::inter_service::detail {

namespace {

namespace asio = boost::asio;

// Lives while hiredis has the context attached, and while a wait is pending.
// hiredis may free the context from inside HandleRead/HandleWrite (a
// disconnect): cleanup() then marks it dead, and a dead attachment never
// touches the context again.
struct Attachment : std::enable_shared_from_this<Attachment> {
  Attachment(redisAsyncContext* c, asio::io_context& io) : ac(c), sd(io, c->c.fd) {}

  redisAsyncContext* ac;
  asio::posix::stream_descriptor sd;
  bool want_read = false, want_write = false;
  bool read_pending = false, write_pending = false;
  bool dead = false;
  // Owned by hiredis's ev.data; released by cleanup().
  std::shared_ptr<Attachment> self_ref;

  void arm_read() {
    if (dead || read_pending || !want_read) return;
    read_pending = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_read,
                  [self = shared_from_this()](const boost::system::error_code& ec) {
                    self->read_pending = false;
                    if (self->dead || ec) return;
                    if (self->want_read) redisAsyncHandleRead(self->ac);
                    self->arm_read();
                  });
  }
  void arm_write() {
    if (dead || write_pending || !want_write) return;
    write_pending = true;
    sd.async_wait(asio::posix::stream_descriptor::wait_write,
                  [self = shared_from_this()](const boost::system::error_code& ec) {
                    self->write_pending = false;
                    if (self->dead || ec) return;
                    if (self->want_write) redisAsyncHandleWrite(self->ac);
                    self->arm_write();
                  });
  }

  static Attachment* of(void* p) { return static_cast<Attachment*>(p); }
  static void add_read(void* p) {
    of(p)->want_read = true;
    of(p)->arm_read();
  }
  static void del_read(void* p) { of(p)->want_read = false; }
  static void add_write(void* p) {
    of(p)->want_write = true;
    of(p)->arm_write();
  }
  static void del_write(void* p) { of(p)->want_write = false; }
  static void cleanup(void* p) {
    Attachment* a = of(p);
    a->dead = true;
    a->want_read = a->want_write = false;
    // Give the fd back to hiredis (it closes it); pending waits end with
    // operation_aborted and see `dead`.
    a->sd.release();
    a->ac->ev.data = nullptr;
    auto keep = std::move(a->self_ref);  // may destroy `a` at scope end
  }
};

}  // namespace

bool attach_to_asio(redisAsyncContext* ac, boost::asio::io_context& io) {
  if (ac->ev.data != nullptr) return false;
  auto a = std::make_shared<Attachment>(ac, io);
  a->self_ref = a;
  ac->ev.data = a.get();
  ac->ev.addRead = &Attachment::add_read;
  ac->ev.delRead = &Attachment::del_read;
  ac->ev.addWrite = &Attachment::add_write;
  ac->ev.delWrite = &Attachment::del_write;
  ac->ev.cleanup = &Attachment::cleanup;
  return true;
}

}  // namespace sb::inter_service::detail
