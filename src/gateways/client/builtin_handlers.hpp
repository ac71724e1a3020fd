#pragma once
// Handlers a config can bind by name, so common flows need no code:
//   "echo:<event>"  send the same arguments back as <event>
//   "ack"           acknowledge with the same arguments
//   "join" / "leave" args[0] = room ("user:*" rooms are refused: they carry other users' data)
//   "to_room"       args = [room, event, ...data]: emit to the room minus the sender
//   "broadcast"     args = [event, ...data]: emit to the namespace minus the sender
//   "server_ack"    args = [event, timeout_ms, ...data]: emit to the sender with an ack and
//                   answer the request with {ok, args} or {ok:false, error}
//   "throw"         fail with args[0] as the message (shows the `exception` event)
//   "drop"          cut the sender's transport (what a network drop looks like)
//   "disconnect"    disconnect the sender from the namespace; args[0] true: the whole connection
// Connection hooks: "emit_auth" (emit `auth` with the handshake auth payload).
#include <string>
#include <vector>

#include "gateways/client/sio_types.hpp"

namespace sb::sio {

// Throws std::invalid_argument naming the spec when it is unknown.
EventHandler make_builtin_handler(const std::string& spec);
ConnectionHook make_builtin_hook(const std::string& spec);

}  // namespace sb::sio
