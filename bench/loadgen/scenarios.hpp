#pragma once
// The scenarios. Each prints one human line on stderr and one JSON line on
// stdout, and returns the process exit code.
#include <string>

#include "runtime.hpp"

namespace sbl {

struct Common {
  Target target;
  unsigned threads = 1;
  int server_pid = 0;            // for RSS and CPU figures
  std::string label = "server";  // copied into the JSON ("switchboard", "node", ...)
  std::string case_name;         // copied into the JSON as "case" (default: the scenario)
  unsigned concurrency = 256;    // connection attempts in flight
  double connect_timeout = 60;   // seconds for the whole connect phase
  double warmup = 2;             // seconds not measured
  double duration = 10;          // measured seconds
  std::string jwt_secret = "bench-secret";
  std::string api_key = "bench-key";
  std::string room = "bench";
  unsigned payload = 0;  // extra payload bytes per message (a padding string)
};

struct IdleOpts {
  unsigned conns = 1000;
  double hold = 10;   // seconds to keep them after connecting (pings answered)
  double settle = 3;  // seconds between the last connect and the RSS reading
};
struct FanoutOpts {
  unsigned members = 1000;
  double rate = 0;       // messages/s from the publisher; 0 = as fast as delivered (window)
  unsigned window = 16;  // closed loop: messages not yet delivered to every member
};
struct NotifyOpts {
  unsigned users = 1000;
  double rate = 1000;  // notifications/s (POST /api/emit {"user": ...})
  unsigned http_conns = 16;
};
struct AckOpts {
  unsigned clients = 100;
  unsigned window = 1;  // emits in flight per client
};
struct SseOpts {
  unsigned clients = 1000;
  double rate = 100;
  std::string stream = "bench";
  std::string publish_path = "/api/sse/{stream}";
  // {stream} and {t} (steady-clock ns) are substituted.
  std::string publish_body = R"({"event":"tick","data":{t}})";
  unsigned http_conns = 4;
};

struct SoakOpts {
  double minutes = 5;        // keep going this long (at least two rounds)
  unsigned conns = 500;      // clients per round
  double round = 5;          // seconds of traffic per round
  double settle = 2;         // seconds after closing before sampling
  unsigned fd_slack = 8;     // allowed descriptor growth after the warm-up round
  double rss_slack_mib = 8;  // allowed RSS growth after the warm-up round
};

int run_idle(const Common& c, const IdleOpts& o);
int run_fanout(const Common& c, const FanoutOpts& o);
int run_notify(const Common& c, const NotifyOpts& o);
int run_acks(const Common& c, const AckOpts& o);
int run_sse(const Common& c, const SseOpts& o);
struct ClusterOpts {
  FanoutOpts fanout;
  uint16_t port2 = 0;   // the second node (the first is Common::target)
  int server_pid2 = 0;  // its pid, for the CPU figure
};
int run_cluster(const Common& c, const ClusterOpts& o);
int run_soak(const Common& c, const SoakOpts& o);

}  // namespace sbl
