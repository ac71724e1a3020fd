#pragma once
// Payloads are JSON values of Boost.JSON: the server keeps every Socket.IO
// argument, bus payload and broker message as boost::json internally, so the
// public API hands them over as they are instead of converting each one.
// Only Boost.JSON's headers are needed (its implementation is in the library).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

namespace switchboard {

namespace json = boost::json;
using Json = boost::json::value;

}  // namespace switchboard
