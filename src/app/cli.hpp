#pragma once
// Command line: --config, --port, --workers, --print-config; and the layering
// defaults -> file -> environment -> flags.
#include <map>
#include <optional>
#include <string>

#include "app/config.hpp"

namespace sb {

struct CliOptions {
  std::string config_path;
  std::optional<uint16_t> port;
  std::optional<unsigned> workers;
  bool print_config = false;
};

// Returns false when the program should exit now with `exit_code` (help, version, bad flag).
bool parse_cli(int argc, char** argv, CliOptions& out, int& exit_code);

// Throws ConfigError naming the key.
Config load_config(const CliOptions& opts, const std::map<std::string, std::string>& env);

}  // namespace sb
