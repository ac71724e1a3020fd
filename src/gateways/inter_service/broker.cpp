#include "gateways/inter_service/broker.hpp"

namespace sb::inter_service {

const std::string* Message::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

const char* errc_name(Errc e) {
  switch (e) {
    case Errc::ok:
      return "ok";
    case Errc::not_started:
      return "not_started";
    case Errc::stopped:
      return "stopped";
    case Errc::invalid_topic:
      return "invalid_topic";
    case Errc::payload_too_large:
      return "payload_too_large";
    case Errc::queue_full:
      return "queue_full";
    case Errc::timeout:
      return "timeout";
    case Errc::no_responders:
      return "no_responders";
    case Errc::connection_lost:
      return "connection_lost";
    case Errc::no_correlation_id:
      return "no_correlation_id";
    case Errc::too_many_requests:
      return "too_many_requests";
    case Errc::broker_error:
      return "broker_error";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string s = errc_name(code);
  if (!detail.empty()) s += ": " + detail;
  return s;
}

const char* state_name(BrokerState s) {
  switch (s) {
    case BrokerState::connecting:
      return "connecting";
    case BrokerState::up:
      return "up";
    case BrokerState::down:
      return "down";
    case BrokerState::stopped:
      return "stopped";
  }
  return "unknown";
}

Ack& Ack::operator=(Ack&& o) noexcept {
  if (this != &o) {
    finish(Outcome::ok, {});
    fn_ = std::exchange(o.fn_, nullptr);
    uncaught_ = o.uncaught_;
  }
  return *this;
}

Ack::~Ack() {
  if (!fn_) return;
  if (std::uncaught_exceptions() > uncaught_)
    finish(Outcome::failed, "handler threw");
  else
    finish(Outcome::ok, {});
}

void Ack::finish(Outcome o, std::string_view why) noexcept {
  if (!fn_) return;
  Fn fn = std::exchange(fn_, nullptr);
  try {
    fn(o, why);
  } catch (...) {
    // Reporting must never throw out of a destructor; the broker logs its own failures.
  }
}

}  // namespace sb::inter_service
