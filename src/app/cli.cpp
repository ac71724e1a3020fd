#include "app/cli.hpp"
#include "app/version.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>

namespace sb {

bool parse_cli(int argc, char** argv, CliOptions& out, int& exit_code) {
  CLI::App app{"switchboard: a real-time gateway (Socket.IO, SSE, brokers)"};
  app.set_version_flag("--version", std::string("switchboard ") + kVersion);
  app.footer(
      "Client commands (switchboard <command> --help):\n"
      "  emit   emit an event to a room or user over the HTTP API\n"
      "  api    call any /api endpoint: switchboard api GET /api/presence\n"
      "  token  mint a development JWT: switchboard token --user 42 --secret S");
  app.add_option("-c,--config", out.config_path, "TOML config file");
  uint16_t port = 0;
  unsigned workers = 0;
  auto* p = app.add_option("-p,--port", port, "listen port (overrides server.port)");
  auto* w = app.add_option("-w,--workers", workers, "worker threads, 0 = one per core");
  app.add_flag("--print-config", out.print_config, "print the effective config (secrets masked)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
    return false;
  }
  if (p->count()) out.port = port;
  if (w->count()) out.workers = workers;
  return true;
}

Config load_config(const CliOptions& opts, const std::map<std::string, std::string>& env) {
  Config c;
  if (!opts.config_path.empty()) {
    std::ifstream f(opts.config_path, std::ios::binary);
    if (!f) throw ConfigError("cannot read config file " + opts.config_path);
    std::stringstream ss;
    ss << f.rdbuf();
    c = parse_config(ss.str(), opts.config_path);
  }
  apply_env_overrides(c, env);
  if (opts.port) c.server.port = *opts.port;
  if (opts.workers) c.server.workers = *opts.workers;
  validate(c);
  return c;
}

}  // namespace sb
