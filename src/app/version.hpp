#pragma once
// The binary's version (--version, GET /api/node). Keep in step with project() in CMakeLists.txt.
namespace sb {
inline constexpr const char* kVersion = "0.1.0";
}
