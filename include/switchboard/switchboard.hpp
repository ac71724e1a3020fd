#pragma once
// libswitchboard's public API in one include. See docs/getting-started.md.
// Everything public is in namespace switchboard; namespace sb is the
// implementation's (only forward declarations of it appear here).
#include "switchboard/broadcast.hpp"
#include "switchboard/bus_gateway.hpp"
#include "switchboard/client_gateway.hpp"
#include "switchboard/config.hpp"
#include "switchboard/context.hpp"
#include "switchboard/errors.hpp"
#include "switchboard/event_bus.hpp"
#include "switchboard/gateway_module.hpp"
#include "switchboard/json.hpp"
#include "switchboard/socket.hpp"
#include "switchboard/sse_gateway.hpp"
#include "switchboard/version.hpp"
