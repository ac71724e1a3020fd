// What @socket.io/redis-emitter and Node's Redis adapter publish: msgpack
// broadcasts (binary args become attachments) and JSON requests.
// Invariant: a decoded broadcast re-encodes (encode_broadcast, for the Node
// servers of a mixed cluster) to a message that decodes to the same broadcast.
#include <boost/json/value.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/emitter_message.hpp"
#include "protocol/socketio_packet.hpp"

using namespace sb;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  emitter::Broadcast b;
  const auto err = emitter::decode_broadcast(in, b);
  FUZZ_CHECK(emitter::to_string(err) != nullptr);
  if (err == emitter::DecodeError::None) {
    FUZZ_CHECK(!b.data.empty() && b.data[0].is_string());
    FUZZ_CHECK(!b.nsp.empty() && b.nsp[0] == '/');
    FUZZ_CHECK(b.attachments.size() <= emitter::Limits{}.max_attachments);
    const std::string wire = emitter::encode_broadcast(b);
    emitter::Broadcast again;
    FUZZ_CHECK(emitter::decode_broadcast(wire, again) == emitter::DecodeError::None);
    FUZZ_CHECK(again.uid == b.uid && again.nsp == b.nsp && again.rooms == b.rooms &&
               again.except == b.except && again.is_volatile == b.is_volatile &&
               again.local == b.local);
    FUZZ_CHECK(
        sio::placeholders_valid(json::value(b.data), static_cast<uint32_t>(b.attachments.size())));
    FUZZ_CHECK(sio::to_json(again.data) == sio::to_json(b.data));
    FUZZ_CHECK(again.attachments == b.attachments);
  }

  emitter::Request r;
  if (emitter::decode_request(in, r) == emitter::DecodeError::None) {
    if (r.type == emitter::RequestType::ServerSideEmit)
      FUZZ_CHECK(!r.data.empty() && r.data[0].is_string());
    if (r.type == emitter::RequestType::RemoteJoin || r.type == emitter::RequestType::RemoteLeave)
      FUZZ_CHECK(!r.target_rooms.empty());
  }

  // Channel names built from the input parse back.
  const std::string_view room = in.substr(0, in.find('#'));
  const std::string channel = emitter::broadcast_channel("socket.io", "/", room);
  const auto parsed = emitter::room_of_channel("socket.io", "/", channel);
  FUZZ_CHECK(parsed && *parsed == room);
  return 0;
}
