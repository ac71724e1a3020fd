// The switchboard binary: the library plus a config-driven main.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "app/cli.hpp"
#include "app/cli_tools.hpp"
#include "app/config.hpp"
#include "app/gateway_module.hpp"
#include "app/logging.hpp"

extern char** environ;

static std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

// SIGHUP: reads the config again (file, environment) and applies what can
// change without a restart; a bad file is logged and changes nothing.
static void reload(sb::GatewayModule& module, const sb::CliOptions& opts) {
  try {
    module.reload(sb::load_config(opts, environment()));
  } catch (const std::exception& e) {
    spdlog::error("reload refused (the running config stays): {}", e.what());
  }
}

int main(int argc, char** argv) {
  if (sb::is_tool_command(argc, argv)) return sb::run_tool(argc, argv, environment());
  sb::CliOptions opts;
  int exit_code = 0;
  if (!sb::parse_cli(argc, argv, opts, exit_code)) return exit_code;

  sb::Config config;
  try {
    config = sb::load_config(opts, environment());
  } catch (const sb::ConfigError& e) {
    std::cerr << "switchboard: invalid config: " << e.what() << "\n";
    return 2;
  }
  if (opts.print_config) {
    std::cout << sb::to_toml(config);
    return 0;
  }
  sb::setup_logging(config.log.level, config.log.format);

  // Signals are taken by one thread with sigwait, so no handler runs inside a worker.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    const uint32_t shutdown_timeout_ms = config.server.shutdown_timeout_ms;
    sb::GatewayModule module(std::move(config));
    module.start();
    int sig = 0;
    for (;;) {
      sigwait(&set, &sig);
      if (sig != SIGHUP) break;
      reload(module, opts);
    }
    spdlog::info("signal {}: shutting down (at most {} ms)", sig, shutdown_timeout_ms);
    // A watchdog bounds the drain: past the timeout the process exits anyway,
    // with status 1 so that a supervisor sees the shutdown was not clean.
    std::thread([shutdown_timeout_ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(shutdown_timeout_ms));
      spdlog::error("shutdown took longer than server.shutdown_timeout_ms ({} ms): exiting",
                    shutdown_timeout_ms);
      spdlog::shutdown();
      std::_Exit(1);
    }).detach();
    module.stop();
  } catch (const sb::ConfigError& e) {
    std::cerr << "switchboard: invalid config: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("switchboard: {}", e.what());
    return 1;
  }
  return 0;
}
