#include "gateways/intra_service/log_stream.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <ctime>
#include <mutex>

#include "gateways/intra_service/sse_server.hpp"

namespace sb::intra {

namespace {

std::string quote(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

bool module_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::string iso_time(std::chrono::system_clock::time_point tp) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

class LogStreamSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void set_server(SseServer* s) {
    std::lock_guard lk(mutex_);  // no record is being published while we swap
    server_ = s;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!server_) return;
    const auto lv = spdlog::level::to_string_view(msg.level);
    const std::string json =
        log_record_json(std::string_view(lv.data(), lv.size()), iso_time(msg.time),
                        std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                        std::string_view(msg.payload.data(), msg.payload.size()));
    server_->publish(kLogsStream, "log", json, static_cast<int>(msg.level));
  }
  void flush_() override {}

 private:
  SseServer* server_ = nullptr;
};

std::mutex g_mu;
std::shared_ptr<LogStreamSink> g_sink;

}  // namespace

std::string log_record_json(std::string_view level, std::string_view time_iso,
                            std::string_view logger, std::string_view message) {
  std::string_view module = logger.empty() ? std::string_view("switchboard") : logger;
  const auto colon = message.find(": ");
  if (colon != std::string_view::npos && colon > 0 && colon <= 24 &&
      std::all_of(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(colon),
                  module_char)) {
    module = message.substr(0, colon);
    message.remove_prefix(colon + 2);
  }
  std::string s = "{\"level\":";
  s += quote(level == "warning" ? "warn" : level);
  s += ",\"time\":" + quote(time_iso);
  s += ",\"module\":" + quote(module);
  s += ",\"message\":" + quote(message);
  s += "}";
  return s;
}

void attach_log_stream(SseServer* server) {
  std::lock_guard lk(g_mu);
  if (!g_sink) g_sink = std::make_shared<LogStreamSink>();
  if (server) {
    auto logger = spdlog::default_logger();
    auto& sinks = logger->sinks();
    if (std::find(sinks.begin(), sinks.end(), g_sink) == sinks.end()) sinks.push_back(g_sink);
  }
  g_sink->set_server(server);
}

}  // namespace sb::intra
