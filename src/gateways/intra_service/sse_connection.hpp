#pragma once
// One SSE client: the stream socket, the streams it follows and its position
// in each. Lives on its worker; only that worker touches it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateways/intra_service/sse_message.hpp"

namespace sb::net {
class StreamConnection;
}

namespace sb::intra {

class SseStream;

class SseConnection {
 public:
  struct Topic {
    SseStream* stream;
    uint64_t position;  // seq of the last event this client has
    uint32_t slot;      // index in the worker shard's subscriber list
  };

  SseConnection(std::shared_ptr<net::StreamConnection> out, uint64_t epoch, int min_level)
      : out_(std::move(out)), epoch_(epoch), min_level_(min_level) {}

  // Writes `m` (an event of topic `t`) unless already seen or filtered out.
  // Returns true when written.
  bool deliver(uint32_t t, const SseMessagePtr& m);
  // Writes a control event ("ready", "reset") carrying the current positions.
  void control(std::string_view event, std::string_view data);

  // "<epoch>-<pos>[.<pos>...]"
  std::string event_id() const;

  std::vector<Topic>& topics() { return topics_; }
  net::StreamConnection& out() { return *out_; }
  const std::shared_ptr<net::StreamConnection>& out_ptr() const { return out_; }
  uint32_t index = 0;  // in the worker shard's connection list

 private:
  std::shared_ptr<net::StreamConnection> out_;
  uint64_t epoch_;
  int min_level_;
  std::vector<Topic> topics_;
};

}  // namespace sb::intra
