// The config layers: TOML file, SWITCHBOARD_* environment, validation and
// the --print-config output. Errors must name the key.
#include <gtest/gtest.h>

#include <functional>

#include "app/config.hpp"

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sb::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsAreUsable) {
  sb::Config c;
  EXPECT_EQ(c.server.port, 3000);
  EXPECT_EQ(c.socketio.path, "/socket.io/");
  ASSERT_EQ(c.socketio.namespaces.size(), 1u);
  EXPECT_EQ(c.socketio.namespaces[0].name, "/");
  c.auth.allow_anonymous = true;
  EXPECT_EQ(error_of([&] { sb::validate(c); }), "");
}

TEST(Config, ParsesAFullFile) {
  auto c = sb::parse_config(R"(
[server]
host = "127.0.0.1"
port = 4000
workers = 3
[engineio]
ping_interval_ms = 300
ping_timeout_ms = 200
cors_origins = ["*"]
[auth]
jwt_secret = "s3cret"
[api]
keys = ["k1", "k2"]
[[socketio.namespaces]]
name = "/chat"
on_connect = "emit_auth"
[socketio.namespaces.events]
message = "echo:message-back"
)",
                            "t.toml");
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 4000);
  EXPECT_EQ(c.server.workers, 3u);
  EXPECT_EQ(c.engineio.ping_interval_ms, 300u);
  EXPECT_EQ(c.engineio.cors_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(c.api.keys.size(), 2u);
  ASSERT_EQ(c.socketio.namespaces.size(), 1u);
  EXPECT_EQ(c.socketio.namespaces[0].name, "/chat");
  ASSERT_EQ(c.socketio.namespaces[0].events.size(), 1u);
  EXPECT_EQ(c.socketio.namespaces[0].events[0].event, "message");
  EXPECT_EQ(c.socketio.namespaces[0].events[0].handler, "echo:message-back");
}

TEST(Config, ErrorsNameTheKey) {
  auto parse = [](const char* text) { return error_of([&] { sb::parse_config(text, "t.toml"); }); };
  EXPECT_NE(parse("[server]\nport = \"x\"\n").find("server.port"), std::string::npos);
  EXPECT_NE(parse("[server]\nport = 70000\n").find("server.port"), std::string::npos);
  EXPECT_NE(parse("[server]\nprot = 1\n").find("server.prot"), std::string::npos);
  EXPECT_NE(parse("[nope]\n").find("nope"), std::string::npos);
  EXPECT_NE(parse("[engineio]\ncors_origins = [1]\n").find("engineio.cors_origins"),
            std::string::npos);
  EXPECT_FALSE(parse("[server\n").empty());  // TOML syntax error
}

TEST(Config, EnvironmentOverridesAndErrors) {
  sb::Config c;
  sb::apply_env_overrides(
      c, {{"SWITCHBOARD_SERVER_PORT", "4100"},
          {"SWITCHBOARD_ENGINEIO_CORS_ORIGINS", "https://a.example,https://b.example"},
          {"SWITCHBOARD_AUTH_ALLOW_ANONYMOUS", "true"},
          {"UNRELATED", "x"}});
  EXPECT_EQ(c.server.port, 4100);
  EXPECT_EQ(c.engineio.cors_origins.size(), 2u);
  EXPECT_TRUE(c.auth.allow_anonymous);
  auto err = error_of([&] { sb::apply_env_overrides(c, {{"SWITCHBOARD_SERVER_PORT", "many"}}); });
  EXPECT_NE(err.find("SWITCHBOARD_SERVER_PORT"), std::string::npos);
}

TEST(Config, ValidationRefusesUnsafeOrBrokenSetups) {
  sb::Config c;
  EXPECT_NE(error_of([&] { sb::validate(c); }).find("auth"), std::string::npos);
  c.auth.jwt_secret = "s";
  c.auth.jwt_algorithm = "none";
  EXPECT_NE(error_of([&] { sb::validate(c); }).find("auth.jwt_algorithm"), std::string::npos);
  c.auth.jwt_algorithm = "RS256";
  c.auth.jwt_secret.clear();
  c.auth.jwt_key_file = "/nonexistent/key.pem";
  EXPECT_NE(error_of([&] { sb::validate(c); }).find("jwt_key_file"), std::string::npos);
}

TEST(Config, PrintedConfigMasksSecretsAndParsesBack) {
  sb::Config c;
  c.server.port = 4321;
  c.auth.jwt_secret = "topsecret";
  c.api.keys = {"key-abc"};
  c.socketio.namespaces[0].events.push_back({"ping", "ack"});
  const std::string text = sb::to_toml(c);
  EXPECT_EQ(text.find("topsecret"), std::string::npos);
  EXPECT_EQ(text.find("key-abc"), std::string::npos);
  auto back = sb::parse_config(text, "printed");
  EXPECT_EQ(back.server.port, 4321);
  ASSERT_EQ(back.socketio.namespaces.size(), 1u);
  ASSERT_EQ(back.socketio.namespaces[0].events.size(), 1u);
  EXPECT_EQ(back.socketio.namespaces[0].events[0].handler, "ack");
}

// Found by tests/fuzz (corpus/config/control_chars_printed): control characters in
// a value were printed raw, and the printed config did not parse back.
TEST(Config, PrintedConfigEscapesControlCharacters) {
  sb::Config c;
  c.socketio.path = "/a\nb\tc\x01\x7f\"\\/";
  c.log.format = "x\ry";
  const std::string text = sb::to_toml(c);
  auto back = sb::parse_config(text, "printed");
  EXPECT_EQ(back.socketio.path, c.socketio.path);
  EXPECT_EQ(back.log.format, c.log.format);
  EXPECT_EQ(sb::to_toml(back), text);
}

}  // namespace

TEST(Config, ClusterNamesARedisOrNatsBroker) {
  auto parse = [](const std::string& extra) {
    return sb::parse_config(R"(
[auth]
allow_anonymous = true
[[brokers]]
name = "r"
kind = "redis"
[[brokers]]
name = "m"
kind = "memory"
)" + extra,
                            "t");
  };
  auto c = parse("[cluster]\nenabled = true\nbroker = \"r\"\n");
  EXPECT_TRUE(c.cluster.enabled);
  EXPECT_EQ(c.cluster.prefix, "socket.io");
  EXPECT_EQ(error_of([&] { sb::validate(c); }), "");
  auto off = parse("");
  EXPECT_FALSE(off.cluster.enabled);
  EXPECT_EQ(error_of([&] { sb::validate(off); }), "");

  auto bad = [&](const std::string& extra, const std::string& key) {
    std::string err = error_of([&] { sb::validate(parse(extra)); });
    if (err.empty()) err = error_of([&] { parse(extra); });
    EXPECT_NE(err.find(key), std::string::npos) << extra << " -> " << err;
  };
  bad("[cluster]\nenabled = true\n", "cluster.broker");
  bad("[cluster]\nenabled = true\nbroker = \"nope\"\n", "cluster.broker");
  bad("[cluster]\nenabled = true\nbroker = \"m\"\n", "cluster.broker");
  bad("[cluster]\nenabled = true\nbroker = \"r\"\nprefix = \"a*\"\n", "cluster.prefix");
  bad("[cluster]\nenabled = true\nbroker = \"r\"\nprefix = \"\"\n", "cluster.prefix");
  bad("[cluster]\nenable = true\n", "\"cluster.enable\"");

  auto env = parse("");
  sb::apply_env_overrides(env, {{"SWITCHBOARD_CLUSTER_ENABLED", "true"},
                                {"SWITCHBOARD_CLUSTER_BROKER", "r"},
                                {"SWITCHBOARD_CLUSTER_PREFIX", "app"}});
  EXPECT_TRUE(env.cluster.enabled);
  EXPECT_EQ(env.cluster.prefix, "app");
  auto back = sb::parse_config(sb::to_toml(env), "printed");
  EXPECT_EQ(back.cluster.broker, "r");
  EXPECT_EQ(back.cluster.prefix, "app");
}

TEST(Config, ClusterPresenceTimings) {
  auto parse = [](const std::string& extra) {
    return sb::parse_config(
        "[auth]\nallow_anonymous = true\n[[brokers]]\nname = \"r\"\nkind = "
        "\"redis\"\n[cluster]\nenabled = true\n"
        "broker = \"r\"\n" +
            extra,
        "t");
  };
  auto d = parse("");
  EXPECT_EQ(d.cluster.heartbeat_ms, 2000u);
  EXPECT_EQ(d.cluster.node_timeout_ms, 6000u);
  EXPECT_EQ(d.cluster.request_timeout_ms, 5000u);
  EXPECT_FALSE(d.cluster.presence_events);
  EXPECT_EQ(d.cluster.heartbeat_chunk_users, 5000u);
  auto c = parse(
      "heartbeat_ms = 500\nnode_timeout_ms = 1500\nrequest_timeout_ms = 800\n"
      "presence_events = true\nheartbeat_chunk_users = 3\n");
  EXPECT_EQ(c.cluster.heartbeat_chunk_users, 3u);
  EXPECT_EQ(c.cluster.heartbeat_ms, 500u);
  EXPECT_EQ(c.cluster.node_timeout_ms, 1500u);
  EXPECT_EQ(c.cluster.request_timeout_ms, 800u);
  EXPECT_TRUE(c.cluster.presence_events);
  auto back = sb::parse_config(sb::to_toml(c), "printed");
  EXPECT_EQ(back.cluster.node_timeout_ms, 1500u);
  EXPECT_TRUE(back.cluster.presence_events);
  EXPECT_EQ(back.cluster.heartbeat_chunk_users, 3u);
  EXPECT_NE(
      error_of([&] { parse("heartbeat_chunk_users = 0\n"); }).find("cluster.heartbeat_chunk_users"),
      std::string::npos);
  // The timeout must outlast a period; bounds are checked.
  EXPECT_NE(error_of([&] {
              sb::validate(parse("heartbeat_ms = 7000\n"));
            }).find("cluster.node_timeout_ms"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse("heartbeat_ms = 0\n"); }).find("cluster.heartbeat_ms"),
            std::string::npos);
  auto env = parse("");
  sb::apply_env_overrides(env, {{"SWITCHBOARD_CLUSTER_HEARTBEAT_MS", "100"},
                                {"SWITCHBOARD_CLUSTER_NODE_TIMEOUT_MS", "400"},
                                {"SWITCHBOARD_CLUSTER_REQUEST_TIMEOUT_MS", "50"},
                                {"SWITCHBOARD_CLUSTER_PRESENCE_EVENTS", "true"},
                                {"SWITCHBOARD_CLUSTER_HEARTBEAT_CHUNK_USERS", "7"}});
  EXPECT_EQ(env.cluster.heartbeat_chunk_users, 7u);
  EXPECT_EQ(env.cluster.heartbeat_ms, 100u);
  EXPECT_EQ(env.cluster.node_timeout_ms, 400u);
  EXPECT_EQ(env.cluster.request_timeout_ms, 50u);
  EXPECT_TRUE(env.cluster.presence_events);
}
