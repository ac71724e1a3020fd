// sb-loadgen: Socket.IO / SSE load generator for Switchboard and the Node
// reference server. One subcommand per scenario; one JSON line on stdout, one
// human line on stderr. See README.md beside this file.
#include <CLI/CLI.hpp>
#include <iostream>

#include "scenarios.hpp"

int main(int argc, char** argv) {
  using namespace sbl;
  CLI::App app{"sb-loadgen: load scenarios against a Socket.IO server (Switchboard or Node)"};
  app.require_subcommand(1);
  Common c;
  IdleOpts idle;
  FanoutOpts fan;
  NotifyOpts notify;
  AckOpts acks;
  SseOpts sse;
  ClusterOpts cluster;
  SoakOpts soak;

  auto common = [&](CLI::App* sub) {
    sub->add_option("--host", c.target.host, "server address (IPv4 or IPv6 literal)")
        ->capture_default_str();
    sub->add_option("--port", c.target.port, "server port")->capture_default_str();
    sub->add_option("--path", c.target.path, "Socket.IO path")->capture_default_str();
    sub->add_option("--sources", c.target.sources,
                    "loopback source addresses 127.0.0.1..N to spread connections over")
        ->capture_default_str();
    sub->add_option("--threads", c.threads, "load generator threads (one io_context each)")
        ->capture_default_str();
    sub->add_option("--server-pid", c.server_pid, "server process id (RSS and CPU figures)");
    sub->add_option("--label", c.label, "name of the server in the output")->capture_default_str();
    sub->add_option("--case", c.case_name, "name of this run in the output (default: scenario)");
    sub->add_option("--concurrency", c.concurrency, "connection attempts in flight")
        ->capture_default_str();
    sub->add_option("--connect-timeout", c.connect_timeout, "seconds for the connect phase")
        ->capture_default_str();
    sub->add_option("--warmup", c.warmup, "seconds before measuring")->capture_default_str();
    sub->add_option("--duration", c.duration, "measured seconds")->capture_default_str();
    sub->add_option("--jwt-secret", c.jwt_secret, "HS256 secret for user tokens")
        ->capture_default_str();
    sub->add_option("--api-key", c.api_key, "X-API-Key for POST /api/emit")->capture_default_str();
    sub->add_option("--room", c.room, "room name")->capture_default_str();
    sub->add_option("--payload", c.payload, "extra bytes of payload per message")
        ->capture_default_str();
  };

  auto* s_idle = app.add_subcommand("idle", "N idle connections: connect rate, RSS per connection");
  common(s_idle);
  s_idle->add_option("--conns,-n", idle.conns, "connections")->capture_default_str();
  s_idle->add_option("--hold", idle.hold, "seconds to hold them")->capture_default_str();
  s_idle->add_option("--settle", idle.settle, "seconds before reading RSS")->capture_default_str();

  auto* s_fan = app.add_subcommand("fanout", "one room, many members, a to_room publisher");
  common(s_fan);
  s_fan->add_option("--members,-m", fan.members, "room members")->capture_default_str();
  s_fan->add_option("--rate,-r", fan.rate, "messages/s (0 = as fast as delivered, see --window)")
      ->capture_default_str();
  s_fan->add_option("--window", fan.window, "closed loop: messages in flight")
      ->capture_default_str();

  auto* s_not = app.add_subcommand("notify", "per-user notify via POST /api/emit, random users");
  common(s_not);
  s_not->add_option("--users,-u", notify.users, "connected users (JWT sub u0..uN-1)")
      ->capture_default_str();
  s_not->add_option("--rate,-r", notify.rate, "notifications/s")->capture_default_str();
  s_not->add_option("--http-conns", notify.http_conns, "keep-alive HTTP connections")
      ->capture_default_str();

  auto* s_ack = app.add_subcommand("acks", "client emits with acks: round trips/s and latency");
  common(s_ack);
  s_ack->add_option("--clients,-c", acks.clients, "clients")->capture_default_str();
  s_ack->add_option("--window", acks.window, "emits in flight per client")->capture_default_str();

  auto* s_sse = app.add_subcommand("sse", "SSE fan-out: N GET /sse/<stream>, a paced publisher");
  common(s_sse);
  s_sse->add_option("--clients,-c", sse.clients, "SSE streams")->capture_default_str();
  s_sse->add_option("--rate,-r", sse.rate, "published events/s")->capture_default_str();
  s_sse->add_option("--stream", sse.stream, "stream name")->capture_default_str();
  s_sse->add_option("--publish-path", sse.publish_path, "POST path of the publisher")
      ->capture_default_str();
  s_sse
      ->add_option("--publish-body", sse.publish_body,
                   "POST body; {stream} and {t} (timestamp) are replaced")
      ->capture_default_str();

  auto* s_cluster = app.add_subcommand(
      "cluster", "room fan-out over two nodes that share the room through a broker");
  common(s_cluster);
  s_cluster->add_option("--members,-m", cluster.fanout.members, "room members (half on each node)")
      ->capture_default_str();
  s_cluster->add_option("--rate,-r", cluster.fanout.rate, "messages/s (0 = closed loop)")
      ->capture_default_str();
  s_cluster->add_option("--window", cluster.fanout.window, "closed loop: messages in flight")
      ->capture_default_str();
  s_cluster->add_option("--port2", cluster.port2, "the second node's port")->required();
  s_cluster->add_option("--server-pid2", cluster.server_pid2, "the second node's pid (CPU figure)");

  auto* s_soak = app.add_subcommand(
      "soak", "rounds of connection churn and traffic; exit 1 if RSS or descriptors keep growing");
  common(s_soak);
  s_soak->add_option("--minutes", soak.minutes, "how long")->capture_default_str();
  s_soak->add_option("--conns,-n", soak.conns, "clients per round")->capture_default_str();
  s_soak->add_option("--round", soak.round, "seconds of traffic per round")->capture_default_str();
  s_soak->add_option("--settle", soak.settle, "seconds before sampling")->capture_default_str();
  s_soak->add_option("--fd-slack", soak.fd_slack, "allowed descriptor growth")
      ->capture_default_str();
  s_soak->add_option("--rss-slack-mib", soak.rss_slack_mib, "allowed RSS growth (MiB)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  raise_fd_limit();
  try {
    if (*s_idle) return run_idle(c, idle);
    if (*s_fan) return run_fanout(c, fan);
    if (*s_not) return run_notify(c, notify);
    if (*s_ack) return run_acks(c, acks);
    if (*s_sse) return run_sse(c, sse);
    if (*s_cluster) return run_cluster(c, cluster);
    if (*s_soak) return run_soak(c, soak);
  } catch (const std::exception& e) {
    std::cerr << "sb-loadgen: " << e.what() << std::endl;
    return 1;
  }
  return 1;
}
