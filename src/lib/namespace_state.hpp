#pragma once
// What ClientGateway handles of one namespace share: the server's registry and
// the guards and interceptors every handler of the namespace runs through.
#include <string>
#include <vector>

#include "switchboard/client_gateway.hpp"

namespace sb::sio {
class Namespace;
}

namespace switchboard {

struct NamespaceState {
  std::string name;
  sb::sio::Namespace* ns = nullptr;
  // Registered before start; read by the workers afterwards without locks.
  std::vector<Guard> guards;
  std::vector<Interceptor> interceptors;
};

}  // namespace switchboard
