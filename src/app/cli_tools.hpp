#pragma once
// The binary's client commands, next to the server:
//   switchboard emit  --room r | --user u --event e [--data JSON] [--namespace n] ...
//   switchboard api   <METHOD> <path> [JSON]        (any /api endpoint)
//   switchboard token --user u [--secret S | --config file] [--ttl 3600]
// emit and api take --url (SWITCHBOARD_URL, default http://127.0.0.1:3000) and
// --key (SWITCHBOARD_API_KEY). Exit codes: 0 ok, 1 the server answered an
// error, 2 bad usage or config, 3 the server could not be reached.
#include <map>
#include <string>

namespace sb {

// True when argv[1] names one of the commands above.
bool is_tool_command(int argc, char** argv);
int run_tool(int argc, char** argv, const std::map<std::string, std::string>& env);

}  // namespace sb
