// switchboard::Config, the public config value: keys set one at a time mean
// what they mean in the file and the environment; errors name the key.
#include <gtest/gtest.h>

#include <switchboard/config.hpp>
#include <switchboard/errors.hpp>

#include "app/config.hpp"

namespace {

TEST(PublicConfig, SetsKeysByTheirFileName) {
  switchboard::Config c;
  c.set("server.port", "4000").set("socketio.recovery.enabled", "true");
  c.set("api.keys", "a,b").set("inbox.max_page", "50");
  EXPECT_EQ(c.get().server.port, 4000);
  EXPECT_TRUE(c.get().socketio.recovery.enabled);
  EXPECT_EQ(c.get().api.keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.get().inbox.max_page, 50u);
}

TEST(PublicConfig, RefusesUnknownKeysAndBadValues) {
  switchboard::Config c;
  try {
    c.set("server.nope", "1");
    FAIL() << "no error";
  } catch (const switchboard::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("server.nope"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.set("server.port", "abc"), switchboard::ConfigError);
  EXPECT_THROW(c.set("bin", "x"), switchboard::ConfigError);
  EXPECT_EQ(c.get().server.port, 3000);
}

TEST(PublicConfig, ParsesTomlAndCopiesByValue) {
  auto a = switchboard::Config::from_toml("[server]\nport = 5000\n");
  auto b = a;
  b.set("server.port", "6000");
  EXPECT_EQ(a.get().server.port, 5000);
  EXPECT_EQ(b.get().server.port, 6000);
  auto moved = std::move(b);
  EXPECT_EQ(moved.get().server.port, 6000);
  EXPECT_EQ(b.get().server.port, 3000);  // NOLINT: a moved-from Config holds the defaults
  EXPECT_THROW(switchboard::Config::from_toml("[server]\nport = \"x\"\n"),
               switchboard::ConfigError);
  EXPECT_THROW(switchboard::Config::from_file("/nonexistent/switchboard.toml"),
               switchboard::ConfigError);
  EXPECT_NE(a.to_toml().find("port = 5000"), std::string::npos);
}

}  // namespace
