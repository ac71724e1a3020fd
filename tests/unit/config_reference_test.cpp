// The example config (config/switchboard.example.toml) and the reference
// (docs/configuration.md) name every key the server knows: the keys are
// taken from --print-config's output of a config that uses every one, so a
// key added to src/app/config.hpp fails here until both are updated.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "app/config.hpp"

namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// "section.key" of every `key = value` line; commented-out lines ("# key = ")
// count when `commented`. Free-form tables (event bindings, broker options) are skipped.
std::set<std::string> keys_of(const std::string& toml, bool commented) {
  static const std::regex header(R"(^\[\[?([a-z_.]+)\]\]?)");
  static const std::regex entry(R"(^([a-z_]+) = )");
  std::set<std::string> keys;
  std::string section;
  std::istringstream in(toml);
  for (std::string line; std::getline(in, line);) {
    if (commented && line.rfind("# ", 0) == 0) line = line.substr(2);
    std::smatch m;
    if (std::regex_search(line, m, header)) {
      section = m[1];
    } else if (std::regex_search(line, m, entry) && section != "socketio.namespaces.events" &&
               section != "brokers.options") {
      keys.insert(section + "." + std::string(m[1]));
    }
  }
  return keys;
}

// A config with one of everything, so that --print-config shows every key.
sb::Config full_config() {
  sb::Config c;
  c.socketio.namespaces[0].on_connect = "emit_auth";
  c.sse.cors_origins_set = true;
  c.sse.streams.push_back(sb::SseStreamConfig{"news", "public", 10});
  sb::RouteConfig r;
  r.from = "a.b";
  r.to = {"room:x"};
  r.event = "e";
  r.broker = "memory";
  r.reply = r.include_sender = true;
  r.store = true;
  r.deliver_missed = true;
  c.routes.push_back(r);
  sb::BrokerConfig b;
  b.name = "k";
  b.kind = "kafka";
  b.group_id = "g";
  c.brokers.push_back(b);
  return c;
}

TEST(ConfigReference, ExampleConfigIsValidAndNamesEveryKey) {
  const std::string text = read(std::string(SB_SOURCE_DIR) + "/config/switchboard.example.toml");
  ASSERT_FALSE(text.empty());
  sb::Config parsed = sb::parse_config(text, "switchboard.example.toml");
  EXPECT_NO_THROW(sb::validate(parsed));
  const auto documented = keys_of(text, true);
  for (auto& key : keys_of(sb::to_toml(full_config()), false))
    EXPECT_TRUE(documented.count(key)) << key << " is missing from switchboard.example.toml";
}

TEST(ConfigReference, DocsNameEveryKey) {
  const std::string doc = read(std::string(SB_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_FALSE(doc.empty());
  for (auto& key : keys_of(sb::to_toml(full_config()), false))
    EXPECT_NE(doc.find("`" + key + "`"), std::string::npos)
        << key << " is missing from docs/configuration.md";
}

}  // namespace
