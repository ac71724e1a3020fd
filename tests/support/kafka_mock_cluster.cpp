// sb-kafka-mock: librdkafka's mock cluster as a standalone Kafka "server" for
// the end-to-end tests (no Kafka server is packaged for Debian). The mock
// speaks the real Kafka protocol over loopback TCP, so any client (kafkajs,
// NestJS ClientKafka/ServerKafka) can talk to it.
//
//   sb-kafka-mock [--brokers N] [TOPIC[:PARTITIONS]]...
//
// Creates the topics (1 partition unless given, replication factor 1),
// prints the bootstrap servers as one line on stdout, then runs until stdin
// closes (EOF) or SIGTERM/SIGINT arrives. Errors go to stderr, exit status 1.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

int g_signal_pipe[2] = {-1, -1};

void on_signal(int) {
  const char c = 1;
  [[maybe_unused]] auto n = write(g_signal_pipe[1], &c, 1);
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const std::string str(s);
  const long v = std::strtol(str.c_str(), &end, 10);
  if (*end != '\0' || v < 1 || v > 10000) return false;
  out = static_cast<int>(v);
  return true;
}

int usage() {
  std::fprintf(stderr, "usage: sb-kafka-mock [--brokers N] [TOPIC[:PARTITIONS]]...\n");
  return 1;
}

// Waits for EOF on stdin or a signal.
void wait_for_end() {
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents) return;
    if (fds[0].revents) {
      char buf[256];
      const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) return;  // EOF or error: the parent is gone
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  struct Topic {
    std::string name;
    int partitions = 1;
  };
  std::vector<Topic> topics;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--brokers") {
      if (++i >= argc || !parse_int(argv[i], brokers)) return usage();
    } else if (arg.starts_with("-")) {
      return usage();
    } else {
      Topic t;
      const auto colon = arg.rfind(':');
      t.name = std::string(arg.substr(0, colon));
      if (colon != std::string_view::npos && !parse_int(arg.substr(colon + 1), t.partitions))
        return usage();
      if (t.name.empty()) return usage();
      topics.push_back(std::move(t));
    }
  }

  if (pipe(g_signal_pipe) != 0) return 1;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!host) {
    std::fprintf(stderr, "sb-kafka-mock: rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, brokers);
  if (!cluster) {
    std::fprintf(stderr, "sb-kafka-mock: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(host);
    return 1;
  }
  int status = 0;
  for (const auto& t : topics) {
    const rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(cluster, t.name.c_str(), t.partitions, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "sb-kafka-mock: topic %s: %s\n", t.name.c_str(), rd_kafka_err2str(e));
      status = 1;
    }
  }
  if (status == 0) {
    std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    std::fflush(stdout);
    wait_for_end();
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return status;
}
