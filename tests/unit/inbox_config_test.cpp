// The [inbox] section and the inbox flags of [[routes]]: parsing, environment,
// validation and the printed config.
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

const char* kBase = "[auth]\njwt_secret = \"s\"\n";

TEST(InboxConfig, ParsesTheSectionAndRouteFlags) {
  auto c = sb::parse_config(std::string(kBase) + R"(
[inbox]
enabled = true
path = "/tmp/x.sqlite3"
store_by_default = true
deliver_missed = false
max_age_s = 60
max_per_user = 5
prune_interval_s = 2
max_missed_push = 10
max_page = 20
[[routes]]
from = "a.b"
to = "user:{data.id}"
store = true
deliver_missed = false
)",
                            "t");
  EXPECT_TRUE(c.inbox.enabled);
  EXPECT_EQ(c.inbox.path, "/tmp/x.sqlite3");
  EXPECT_TRUE(c.inbox.store_by_default);
  EXPECT_FALSE(c.inbox.deliver_missed);
  EXPECT_EQ(c.inbox.max_age_s, 60u);
  EXPECT_EQ(c.inbox.max_per_user, 5u);
  EXPECT_EQ(c.inbox.prune_interval_s, 2u);
  EXPECT_EQ(c.inbox.max_missed_push, 10u);
  EXPECT_EQ(c.inbox.max_page, 20u);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].store, true);
  EXPECT_EQ(c.routes[0].deliver_missed, false);
  sb::validate(c);

  auto back = sb::parse_config(sb::to_toml(c), "printed");
  EXPECT_EQ(back.inbox.path, c.inbox.path);
  EXPECT_EQ(back.inbox.max_per_user, 5u);
  EXPECT_EQ(back.routes[0].store, true);
  EXPECT_EQ(back.routes[0].deliver_missed, false);

  auto d = sb::parse_config(kBase, "t");
  EXPECT_FALSE(d.inbox.enabled) << "off by default";
  EXPECT_FALSE(
      sb::parse_config(std::string(kBase) + "[[routes]]\nfrom = \"a\"\nto = \"user:x\"\n", "t")
          .routes[0]
          .store.has_value());
}

TEST(InboxConfig, ErrorsNameTheKey) {
  auto err = [](const std::string& text) {
    return error_of([&] { sb::validate(sb::parse_config(std::string(kBase) + text, "t")); });
  };
  EXPECT_NE(err("[inbox]\nenabled = \"yes\"\n").find("inbox.enabled"), std::string::npos);
  EXPECT_NE(err("[inbox]\nmax_page = 0\n").find("inbox.max_page"), std::string::npos);
  EXPECT_NE(err("[inbox]\nbogus = 1\n").find("inbox.bogus"), std::string::npos);
  EXPECT_NE(
      err("[[routes]]\nfrom = \"a\"\nto = \"user:x\"\nstore = true\n").find("routes[0].store"),
      std::string::npos)
      << "the inbox is off";
  EXPECT_NE(
      err("[inbox]\nenabled = true\n[[routes]]\nfrom = \"a\"\nto = \"room:x\"\nstore = true\n")
          .find("routes[0].store"),
      std::string::npos)
      << "rooms have no inbox";
  EXPECT_NE(err("[[routes]]\nfrom = \"a\"\nto = \"user:x\"\nstore = 1\n").find("routes[0].store"),
            std::string::npos);
}

TEST(InboxConfig, TheRedisStore) {
  auto c = sb::parse_config(std::string(kBase) + R"(
[inbox]
enabled = true
store = "redis"
redis_url = "redis://:pw@10.0.0.5:6380/2"
key_prefix = "app:inbox:"
)",
                            "t");
  sb::validate(c);
  EXPECT_EQ(c.inbox.store, "redis");
  EXPECT_EQ(c.inbox.redis_url, "redis://:pw@10.0.0.5:6380/2");
  EXPECT_EQ(c.inbox.key_prefix, "app:inbox:");
  const auto printed = sb::to_toml(c);
  EXPECT_EQ(printed.find("pw@"), std::string::npos) << "the password is masked";
  auto back = sb::parse_config(printed, "printed");
  EXPECT_EQ(back.inbox.store, "redis");
  EXPECT_EQ(back.inbox.key_prefix, "app:inbox:");
  EXPECT_EQ(sb::parse_config(kBase, "t").inbox.store, "sqlite") << "the default";

  auto err = [](const std::string& text) {
    return error_of([&] { sb::validate(sb::parse_config(std::string(kBase) + text, "t")); });
  };
  EXPECT_NE(err("[inbox]\nstore = \"mongo\"\n").find("inbox.store"), std::string::npos);
  EXPECT_NE(err("[inbox]\nenabled = true\nstore = \"redis\"\nkey_prefix = \"\"\n")
                .find("inbox.key_prefix"),
            std::string::npos);

  sb::Config e;
  sb::apply_env_overrides(e, {{"SWITCHBOARD_INBOX_STORE", "redis"},
                              {"SWITCHBOARD_INBOX_REDIS_URL", "redis://r:6379/1"},
                              {"SWITCHBOARD_INBOX_KEY_PREFIX", "x:"}});
  EXPECT_EQ(e.inbox.store, "redis");
  EXPECT_EQ(e.inbox.redis_url, "redis://r:6379/1");
  EXPECT_EQ(e.inbox.key_prefix, "x:");
}

TEST(InboxConfig, EnvironmentOverrides) {
  sb::Config c;
  sb::apply_env_overrides(c, {{"SWITCHBOARD_INBOX_ENABLED", "true"},
                              {"SWITCHBOARD_INBOX_PATH", "/var/lib/sb/inbox.db"},
                              {"SWITCHBOARD_INBOX_MAX_PER_USER", "7"}});
  EXPECT_TRUE(c.inbox.enabled);
  EXPECT_EQ(c.inbox.path, "/var/lib/sb/inbox.db");
  EXPECT_EQ(c.inbox.max_per_user, 7u);
  EXPECT_NE(error_of([&] {
              sb::apply_env_overrides(c, {{"SWITCHBOARD_INBOX_MAX_AGE_S", "forever"}});
            }).find("SWITCHBOARD_INBOX_MAX_AGE_S"),
            std::string::npos);
}

}  // namespace
