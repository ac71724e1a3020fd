// The TOML config loader (parse_config from text), then validation, env
// overrides and --print-config output.
// Invariants: only ConfigError escapes; the printed config parses back and
// prints the same (a fixed point).
#include <cstdint>
#include <map>
#include <string>

#include "app/config.hpp"
#include "fuzz_check.hpp"

using namespace sb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Config cfg;
  try {
    cfg = parse_config(text, "fuzz.toml");
  } catch (const ConfigError&) {
    return 0;
  }
  try {
    validate(cfg);
  } catch (const ConfigError&) {
  }
  const std::string printed = to_toml(cfg);
  Config again;
  try {
    again = parse_config(printed, "printed.toml");
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "printed config does not parse: %s\n%s\n", e.what(), printed.c_str());
    FUZZ_CHECK(false);
  }
  FUZZ_CHECK(to_toml(again) == printed);

  // Environment overrides take the same kind of text.
  try {
    apply_env_overrides(cfg, {{"SWITCHBOARD_SERVER_PORT", text.substr(0, 16)},
                              {"SWITCHBOARD_LOG_LEVEL", text.substr(0, 16)}});
  } catch (const ConfigError&) {
  }
  return 0;
}
