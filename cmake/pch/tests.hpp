// Precompiled header of unit_tests and integration_tests (see
// tests/CMakeLists.txt, SB_PCH): GoogleTest and the headers most tests include.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
