#include "switchboard/version.hpp"

#include "app/version.hpp"

namespace switchboard {

const char* version() {
  return sb::kVersion;
}

}  // namespace switchboard
