#pragma once
// Drives a hiredis async context from an Asio io_context (a worker's loop):
// hiredis's event hooks (addRead/delRead/addWrite/delWrite/cleanup) become
// async_wait on a stream_descriptor over the context's socket, and readiness
// calls redisAsyncHandleRead/Write. hiredis keeps owning (and closes) the fd.
// Everything runs on the loop's thread. hiredis 0.14 has no timer hook:
// connect timeouts are the caller's job.
struct redisAsyncContext;
namespace boost::asio {
class io_context;
}

namespace sb::inter_service::detail {

// Attach right after redisAsyncConnect succeeded. False when `ac` already has
// event hooks.
bool attach_to_asio(redisAsyncContext* ac, boost::asio::io_context& io);

}  // namespace sb::inter_service::detail
