#include "switchboard/config.hpp"

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "app/config.hpp"
#include "switchboard/errors.hpp"

extern char** environ;

namespace switchboard {

Config::Config() : data_(std::make_unique<sb::Config>()) {}
Config::~Config() = default;
Config::Config(const Config& other) : data_(std::make_unique<sb::Config>(*other.data_)) {}
Config& Config::operator=(const Config& other) {
  if (this != &other) data_ = std::make_unique<sb::Config>(*other.data_);
  return *this;
}
// A moved-from Config holds the defaults again, not a null.
Config::Config(Config&& other) noexcept
    : data_(std::exchange(other.data_, std::make_unique<sb::Config>())) {}
Config& Config::operator=(Config&& other) noexcept {
  std::swap(data_, other.data_);
  return *this;
}

Config Config::from_toml(std::string_view toml, const std::string& source_name) {
  Config c;
  try {
    *c.data_ = sb::parse_config(std::string(toml), source_name);
  } catch (const sb::ConfigError& e) {
    throw ConfigError(e.what());
  }
  return c;
}

Config Config::from_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("cannot read config file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return from_toml(ss.str(), path);
}

// "socketio.recovery.enabled" is SWITCHBOARD_SOCKETIO_RECOVERY_ENABLED: one
// parser for both, so a key means the same in code, file and environment.
Config& Config::set(std::string_view key, std::string_view value) {
  std::string var = "SWITCHBOARD_";
  for (char ch : key)
    var += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (key.empty() || var == "SWITCHBOARD_BIN" || var == "SWITCHBOARD_CONFIG")
    throw ConfigError(std::string(key) + ": unknown key");
  try {
    sb::apply_env_overrides(*data_, {{var, std::string(value)}});
  } catch (const sb::ConfigError& e) {
    const std::string what = e.what();
    if (what.find("unknown environment variable") != std::string::npos)
      throw ConfigError(std::string(key) + ": unknown key (or not settable one at a time)");
    throw ConfigError(what);
  }
  return *this;
}

Config& Config::apply_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  try {
    sb::apply_env_overrides(*data_, env);
  } catch (const sb::ConfigError& e) {
    throw ConfigError(e.what());
  }
  return *this;
}

std::string Config::to_toml() const {
  return sb::to_toml(*data_);
}

}  // namespace switchboard
