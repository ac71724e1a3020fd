#pragma once
// What the shared recovery log stores (pure, no I/O):
//  - a stream entry's payload: the broadcast in the Socket.IO Redis adapter's
//    msgpack ([uid, packet, opts], protocol/emitter_message.hpp), turned back
//    into a ready-to-send sio::Broadcast with the entry id as last argument
//    (the offset the client sends back);
//  - a saved session: JSON {"sid", "nsp", "user", "rooms"}.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateways/client/cluster_link.hpp"
#include "gateways/client/recovery_store.hpp"
#include "gateways/client/sio_server.hpp"
#include "protocol/emitter_message.hpp"
#include "protocol/stream_id.hpp"

namespace sb::inter_service {

// The broadcast of entry `id`, encoded for delivery (offset = id); nullptr when
// the payload is not a broadcast we can deliver (bad msgpack, no event name).
std::shared_ptr<sio::Broadcast> broadcast_from_entry(protocol::StreamId id,
                                                     std::string_view payload);
std::shared_ptr<sio::Broadcast> broadcast_from_entry(protocol::StreamId id, emitter::Broadcast b);

// What a log entry stores for a broadcast issued on node `uid`.
emitter::Broadcast entry_of_emit(const sio::ClusterEmit& e, const std::string& uid);

std::string encode_session(const sio::SavedSession& s);
// nullopt when not one of ours (bad JSON, missing fields); pid is left empty.
std::optional<sio::SavedSession> decode_session(std::string_view text);

}  // namespace sb::inter_service
