#include "app/cli_tools.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli.hpp"
#include "app/http_client.hpp"
#include "auth/jwt_verifier.hpp"

namespace sb {

namespace json = boost::json;

namespace {

constexpr int kOk = 0, kServerError = 1, kUsage = 2, kUnreachable = 3;

struct Target {
  std::string url = "http://127.0.0.1:3000";
  std::string key;
};

void add_target(CLI::App& app, Target& t, const std::map<std::string, std::string>& env) {
  if (auto it = env.find("SWITCHBOARD_URL"); it != env.end()) t.url = it->second;
  if (auto it = env.find("SWITCHBOARD_API_KEY"); it != env.end()) t.key = it->second;
  app.add_option("--url", t.url, "server base URL (env SWITCHBOARD_URL)")->capture_default_str();
  app.add_option("--key", t.key, "API key (env SWITCHBOARD_API_KEY)");
}

// Sends one request; prints the answer's body on stdout, and on an HTTP error
// its code and message on stderr.
int call(const Target& t, const std::string& method, const std::string& path,
         const std::string& body) {
  HttpUrl url;
  try {
    url = parse_http_url(t.url);
  } catch (const std::exception& e) {
    std::cerr << "switchboard: --url: " << e.what() << "\n";
    return kUsage;
  }
  if (t.key.empty()) {
    std::cerr << "switchboard: no API key: pass --key or set SWITCHBOARD_API_KEY\n";
    return kUsage;
  }
  HttpResult r;
  try {
    r = http_call(url, method, path, {{"X-API-Key", t.key}}, body);
  } catch (const std::invalid_argument& e) {
    std::cerr << "switchboard: " << e.what() << "\n";
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "switchboard: " << e.what() << "\n";
    return kUnreachable;
  }
  std::cout << r.body << (r.body.empty() || r.body.back() != '\n' ? "\n" : "");
  if (r.status >= 200 && r.status < 300) return kOk;
  std::string what = "HTTP " + std::to_string(r.status);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (auto* e = v.as_object().if_contains("error"); e && e->is_object()) {
      auto& o = e->as_object();
      if (auto* c = o.if_contains("code"); c && c->is_string())
        what += " " + std::string(c->as_string());
      if (auto* m = o.if_contains("message"); m && m->is_string())
        what += ": " + std::string(m->as_string());
    }
  std::cerr << "switchboard: " << what << "\n";
  return kServerError;
}

// Parses JSON given on the command line, naming the flag when it is not JSON.
bool parse_json_arg(const std::string& text, const char* what, json::value& out) {
  boost::system::error_code ec;
  out = json::parse(text, ec);
  if (ec) {
    std::cerr << "switchboard: " << what << " is not valid JSON: " << ec.message() << "\n";
    return false;
  }
  return true;
}

int run_emit(int argc, char** argv, const std::map<std::string, std::string>& env) {
  CLI::App app{"Emit an event to a Socket.IO room or user (POST /api/emit)", "switchboard emit"};
  Target t;
  add_target(app, t, env);
  std::string room, user, event, data, nsp;
  std::vector<std::string> except;
  bool is_volatile = false, store = false;
  auto* r = app.add_option("--room", room, "target room");
  auto* u = app.add_option("--user", user, "target user id (room user:<id>)");
  r->excludes(u);
  app.add_option("--event", event, "event name")->required();
  app.add_option("--data", data, "the event's argument as JSON (default null)");
  app.add_option("-n,--namespace", nsp, "namespace (default /)");
  app.add_option("--except", except, "rooms to skip (repeatable)");
  app.add_flag("--volatile", is_volatile, "may be dropped for slow clients");
  app.add_flag("--store", store, "keep it in the user's inbox first (--user, inbox on)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  if (room.empty() && user.empty()) {
    std::cerr << "switchboard emit: give --room or --user\n";
    return kUsage;
  }
  json::object body{{"event", event}};
  if (!room.empty()) body["room"] = room;
  if (!user.empty()) body["user"] = user;
  if (!data.empty()) {
    json::value d;
    if (!parse_json_arg(data, "--data", d)) return kUsage;
    body["data"] = std::move(d);
  }
  if (!nsp.empty()) body["namespace"] = nsp;
  if (!except.empty()) {
    json::array a;
    for (auto& e : except) a.push_back(json::string(e));
    body["except"] = std::move(a);
  }
  if (is_volatile) body["volatile"] = true;
  if (store) body["store"] = true;
  return call(t, "POST", "/api/emit", json::serialize(body));
}

int run_api(int argc, char** argv, const std::map<std::string, std::string>& env) {
  CLI::App app{"Call any HTTP API endpoint: switchboard api GET /api/presence", "switchboard api"};
  Target t;
  add_target(app, t, env);
  std::string method, path, body;
  app.add_option("method", method, "GET, POST, DELETE, ...")->required();
  app.add_option("path", path, "/api/... (the /api prefix may be left out)")->required();
  app.add_option("body", body, "JSON body ('-' reads stdin)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (path.empty() || path[0] != '/') path = "/" + path;
  if (path.rfind("/api/", 0) != 0) path = "/api" + path;
  if (body == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    body = ss.str();
  }
  if (!body.empty()) {
    json::value ignored;
    if (!parse_json_arg(body, "the body", ignored)) return kUsage;
  }
  return call(t, method, path, body);
}

int run_token(int argc, char** argv, const std::map<std::string, std::string>& env) {
  CLI::App app{"Mint a development JWT the server accepts (sub = --user)", "switchboard token"};
  std::string user, secret, config_path, algorithm, key_file, audience, issuer;
  int64_t ttl = 3600;
  app.add_option("--user", user, "user id (the token's sub)")->required();
  auto* s = app.add_option("--secret", secret, "HS256 secret");
  auto* c =
      app.add_option("-c,--config", config_path, "take the algorithm and secret from a config");
  s->excludes(c);
  app.add_option("--ttl", ttl, "lifetime in seconds")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10} * 365 * 24 * 3600));
  app.add_option("--private-key", key_file, "PEM private key file (RS256, ES256)");
  app.add_option("--algorithm", algorithm, "HS256 (default), RS256 or ES256");
  app.add_option("--audience", audience, "aud claim (default: auth.jwt_audience)");
  app.add_option("--issuer", issuer, "iss claim (default: auth.jwt_issuer)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kUsage;
  }
  std::string key = secret;
  if (!config_path.empty() || (secret.empty() && (env.count("SWITCHBOARD_AUTH_JWT_SECRET") ||
                                                  env.count("SWITCHBOARD_AUTH_JWT_KEY_FILE")))) {
    // The same layering as the server: file, then SWITCHBOARD_AUTH_* variables.
    CliOptions opts;
    opts.config_path = config_path;
    Config cfg;
    try {
      cfg = load_config(opts, env);
    } catch (const ConfigError& e) {
      std::cerr << "switchboard token: invalid config: " << e.what() << "\n";
      return kUsage;
    }
    if (algorithm.empty()) algorithm = cfg.auth.jwt_algorithm;
    if (audience.empty()) audience = cfg.auth.jwt_audience;
    if (issuer.empty()) issuer = cfg.auth.jwt_issuer;
    key = cfg.auth.jwt_secret;
    if (key.empty() && algorithm == "HS256" && !cfg.auth.jwt_key_file.empty()) {
      std::ifstream f(cfg.auth.jwt_key_file, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      key = ss.str();
      while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    }
  }
  if (algorithm.empty()) algorithm = "HS256";
  if (algorithm != "HS256") {
    // The config holds the public key only: signing needs the private one.
    if (key_file.empty()) {
      std::cerr << "switchboard token: " << algorithm << " needs --private-key <PEM file>\n";
      return kUsage;
    }
    std::ifstream f(key_file, std::ios::binary);
    if (!f) {
      std::cerr << "switchboard token: cannot read " << key_file << "\n";
      return kUsage;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    key = ss.str();
  }
  if (key.empty()) {
    std::cerr << "switchboard token: no secret: pass --secret, or --config with auth.jwt_secret\n";
    return kUsage;
  }
  try {
    std::cout << mint_jwt(algorithm, key, user, std::chrono::seconds(ttl), audience, issuer)
              << "\n";
  } catch (const std::exception& e) {
    std::cerr << "switchboard token: " << e.what() << "\n";
    return kUsage;
  }
  return kOk;
}

}  // namespace

bool is_tool_command(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view c = argv[1];
  return c == "emit" || c == "api" || c == "token";
}

int run_tool(int argc, char** argv, const std::map<std::string, std::string>& env) {
  const std::string_view c = argv[1];
  // The command's own parser sees the arguments after the command name.
  if (c == "emit") return run_emit(argc - 1, argv + 1, env);
  if (c == "api") return run_api(argc - 1, argv + 1, env);
  return run_token(argc - 1, argv + 1, env);
}

}  // namespace sb
