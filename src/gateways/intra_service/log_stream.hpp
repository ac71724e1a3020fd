#pragma once
// The `logs` SSE stream: an spdlog sink that turns every record the server
// logs into a JSON event {"level","time","module","message"} on the stream.
// One sink per process, added to the default logger once; a server attaches
// to it while it runs. The module is the record's prefix when it has one
// ("sse: slow consumer" -> module "sse"), else the logger's name.
#include <memory>
#include <string>
#include <string_view>

namespace sb::intra {

class SseServer;

// Makes sure the sink is on the current default logger, then routes records
// to `server` (nullptr: stop). Thread-safe.
void attach_log_stream(SseServer* server);

// The JSON of one record (exposed for tests).
std::string log_record_json(std::string_view level, std::string_view time_iso,
                            std::string_view logger, std::string_view message);

inline constexpr const char* kLogsStream = "logs";

}  // namespace sb::intra
