#pragma once
// The library's version (the CMake project version).
namespace switchboard {
// Returns "MAJOR.MINOR.PATCH".
const char* version();
}  // namespace switchboard
