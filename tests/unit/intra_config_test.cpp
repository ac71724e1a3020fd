// The [sse], [[sse.streams]], [dashboard] and [[routes]] config: parsing,
// validation messages that name the key, env overrides and --print-config.
#include <gtest/gtest.h>

#include "app/config.hpp"

using sb::Config;
using sb::ConfigError;

namespace {
std::string error_of(const std::string& toml) {
  try {
    auto c = sb::parse_config(toml, "test.toml");
    sb::validate(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "ok";
}
const char* kIntraBase = "[auth]\nallow_anonymous = true\n";
}  // namespace

TEST(IntraConfig, ParsesStreamsDashboardAndRoutes) {
  auto c = sb::parse_config(std::string(kIntraBase) + R"(
[sse]
heartbeat_ms = 500
history_size = 20
max_topics = 4
max_buffer_bytes = 65536
cors_origins = ["https://app.example"]
[[sse.streams]]
name = "news"
[[sse.streams]]
name = "orders:*"
access = "user"
history_size = 5
[dashboard]
auth = "none"
metrics_interval_ms = 250
[[routes]]
from = "inbox.*"
to = "user:{data.id}"
[[routes]]
from = "broker:user.created"
to = ["room:admins", "sse:news"]
event = "user_created"
)",
                            "t.toml");
  sb::validate(c);
  EXPECT_EQ(c.sse.heartbeat_ms, 500u);
  EXPECT_EQ(c.sse.history_size, 20u);
  EXPECT_TRUE(c.sse.cors_origins_set);
  ASSERT_EQ(c.sse.streams.size(), 2u);
  EXPECT_EQ(c.sse.streams[0].access, "public");
  EXPECT_EQ(c.sse.streams[0].history_size, -1);
  EXPECT_EQ(c.sse.streams[1].history_size, 5);
  EXPECT_EQ(c.dashboard.auth, "none");
  EXPECT_TRUE(c.dashboard.enabled);
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].to, (std::vector<std::string>{"user:{data.id}"}));
  EXPECT_EQ(c.routes[1].event, "user_created");
  // --print-config output parses back to the same settings.
  auto again = sb::parse_config(sb::to_toml(c), "printed.toml");
  EXPECT_EQ(sb::to_toml(again), sb::to_toml(c));
}

TEST(IntraConfig, DefaultsKeepTheDashboardOn) {
  Config c;
  EXPECT_TRUE(c.dashboard.enabled);
  EXPECT_TRUE(c.sse.user_streams);
  EXPECT_EQ(c.sse.max_buffer_bytes, 16u * 1024 * 1024);
}

TEST(IntraConfig, ErrorsNameTheKey) {
  auto starts = [](const std::string& msg, const std::string& prefix) {
    return msg.rfind(prefix, 0) == 0 ? std::string("ok") : msg;
  };
  auto base = std::string(kIntraBase);
  EXPECT_EQ(starts(error_of(base + "[sse]\nheartbeat_ms = -1\n"), "sse.heartbeat_ms:"), "ok");
  EXPECT_EQ(starts(error_of(base + "[sse]\nmax_topics = 0\n"), "sse.max_topics:"), "ok");
  EXPECT_EQ(starts(error_of(base + "[sse]\nbogus = 1\n"), "unknown key \"sse.bogus\""), "ok");
  EXPECT_EQ(starts(error_of(base + "[[sse.streams]]\nname = \"a\"\naccess = \"vip\"\n"),
                   "sse.streams[0].access:"),
            "ok");
  EXPECT_EQ(starts(error_of(base + "[[sse.streams]]\nname = \"a b\"\n"), "sse.streams[0].name:"),
            "ok");
  EXPECT_EQ(starts(error_of(base + "[[sse.streams]]\nname = \"mine\"\naccess = \"user\"\n"),
                   "sse.streams[0].name:"),
            "ok");
  EXPECT_EQ(starts(error_of(base + "[[sse.streams]]\nname = \"logs\"\n"), "sse.streams[0].name:"),
            "ok");
  EXPECT_EQ(starts(error_of(base + "[dashboard]\nauth = \"basic\"\n"), "dashboard.auth:"), "ok");
  EXPECT_EQ(starts(error_of(base + "[[routes]]\nfrom = \"a\"\nto = \"rooms:x\"\n"),
                   "routes[0].to[0]: unknown target scheme"),
            "ok");
  EXPECT_EQ(starts(error_of(base + "[[routes]]\nfrom = \"a\"\nto = \"room:{data.x\"\n"),
                   "routes[0].to[0]:"),
            "ok");
  EXPECT_EQ(starts(error_of(base + "[[routes]]\nto = \"room:x\"\n"), "routes[0].from:"), "ok");
  EXPECT_EQ(
      starts(error_of(base + "[[routes]]\nfrom = \"a\"\nto = \"room:x\"\nnamespace = \"/chat\"\n"),
             "routes[0].namespace:"),
      "ok");
}

TEST(IntraConfig, EnvironmentOverrides) {
  Config c;
  sb::apply_env_overrides(c, {{"SWITCHBOARD_SSE_HEARTBEAT_MS", "250"},
                              {"SWITCHBOARD_SSE_CORS_ORIGINS", "https://a,https://b"},
                              {"SWITCHBOARD_DASHBOARD_ENABLED", "false"},
                              {"SWITCHBOARD_DASHBOARD_AUTH", "none"}});
  EXPECT_EQ(c.sse.heartbeat_ms, 250u);
  EXPECT_EQ(c.sse.cors_origins, (std::vector<std::string>{"https://a", "https://b"}));
  EXPECT_FALSE(c.dashboard.enabled);
  EXPECT_EQ(c.dashboard.auth, "none");
  EXPECT_THROW(sb::apply_env_overrides(c, {{"SWITCHBOARD_SSE_MAX_TOPICS", "zero"}}), ConfigError);
}
