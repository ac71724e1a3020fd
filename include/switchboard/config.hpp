#pragma once
// The server's configuration as a value: the same TOML file and
// SWITCHBOARD_<SECTION>_<KEY> overrides as the `switchboard` binary. Every key
// is documented in docs/configuration.md.
#include <memory>
#include <string>
#include <string_view>

namespace sb {
struct Config;
}

namespace switchboard {

class Config {
 public:
  // The defaults (port 3000, no JWT key: set one or auth.allow_anonymous).
  Config();
  ~Config();
  Config(const Config& other);
  Config& operator=(const Config& other);
  Config(Config&&) noexcept;
  Config& operator=(Config&&) noexcept;

  // Parses a TOML file / text. Throws ConfigError naming the key.
  static Config from_file(const std::string& path);
  static Config from_toml(std::string_view toml, const std::string& source_name = "<string>");

  // Sets one key, "section.key" as in the TOML file ("server.port", "auth.jwt_secret",
  // "socketio.recovery.enabled"); lists are comma-separated. Throws ConfigError.
  Config& set(std::string_view key, std::string_view value);
  // Applies the process's SWITCHBOARD_<SECTION>_<KEY> environment variables.
  Config& apply_environment();

  // The effective config as TOML, secrets masked.
  std::string to_toml() const;

  // Internal: the server's own representation.
  const sb::Config& get() const { return *data_; }
  sb::Config& get() { return *data_; }

 private:
  std::unique_ptr<sb::Config> data_;
};

}  // namespace switchboard
