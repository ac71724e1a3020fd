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
