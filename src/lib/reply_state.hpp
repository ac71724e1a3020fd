#pragma once
// Where a Reply goes: the socket (weakly: it may be gone), its worker, the
// acknowledgement id, and the event for an exception's `cause`.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "switchboard/context.hpp"

namespace sb::sio {
class SioServer;
class Socket;
}  // namespace sb::sio

namespace switchboard {

struct Reply::State {
  sb::sio::SioServer* server = nullptr;
  unsigned worker = 0;
  std::weak_ptr<sb::sio::Socket> socket;
  std::optional<uint64_t> ack_id;
  std::string event;
  Json data;
  std::atomic<bool> done{false};
};

}  // namespace switchboard
