// What cluster nodes (and Node.js servers with @socket.io/redis-adapter) send
// each other beyond broadcasts: presence heartbeats, requests with a
// requestId and their answers (JSON). Invariant: what decodes re-encodes to a
// message that decodes to the same thing.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/cluster_message.hpp"
#include "protocol/socketio_packet.hpp"

using namespace sb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  cluster::Heartbeat h;
  if (cluster::decode_heartbeat(in, h)) {
    FUZZ_CHECK(!h.uid.empty());
    cluster::Heartbeat again;
    FUZZ_CHECK(cluster::decode_heartbeat(cluster::encode_heartbeat(h), again));
    FUZZ_CHECK(again.uid == h.uid && again.bye == h.bye && again.seq == h.seq);
    FUZZ_CHECK(again.namespaces.size() == h.namespaces.size());
    for (size_t i = 0; i < h.namespaces.size(); ++i) {
      FUZZ_CHECK(again.namespaces[i].nsp == h.namespaces[i].nsp);
      FUZZ_CHECK(again.namespaces[i].sockets == h.namespaces[i].sockets);
      FUZZ_CHECK(again.namespaces[i].anonymous == h.namespaces[i].anonymous);
      FUZZ_CHECK(again.namespaces[i].users == h.namespaces[i].users);
    }
  }

  cluster::Request r;
  if (cluster::decode_request(in, r)) {
    FUZZ_CHECK(!r.request_id.empty());
    if (r.kind == cluster::RequestKind::server_side_emit)
      FUZZ_CHECK(!r.data.empty() && r.data[0].is_string());
    cluster::Request again;
    FUZZ_CHECK(cluster::decode_request(cluster::encode_request(r), again));
    FUZZ_CHECK(again.kind == r.kind && again.uid == r.uid && again.request_id == r.request_id &&
               again.rooms == r.rooms && again.except == r.except);
    // A number too large for a double is written as JavaScript does (null).
    FUZZ_CHECK(sio::to_json(again.data) == sio::to_json(r.data));
  }

  cluster::Response resp;
  if (cluster::decode_response(in, resp)) {
    FUZZ_CHECK(!resp.request_id.empty());
    if (resp.sockets) {
      cluster::Response again;
      FUZZ_CHECK(cluster::decode_response(
          cluster::encode_sockets_response(resp.request_id, resp.node, *resp.sockets), again));
      FUZZ_CHECK(again.request_id == resp.request_id && again.node == resp.node);
      FUZZ_CHECK(again.sockets && again.sockets->size() == resp.sockets->size());
      for (size_t i = 0; i < resp.sockets->size(); ++i) {
        auto& a = (*again.sockets)[i];
        auto& b = (*resp.sockets)[i];
        FUZZ_CHECK(a.id == b.id && a.rooms == b.rooms && a.user == b.user);
      }
    }
    if (resp.data) {
      cluster::Response again;
      FUZZ_CHECK(cluster::decode_response(
          cluster::encode_emit_response(resp.request_id, resp.node, *resp.data), again));
      FUZZ_CHECK(again.data && sio::to_json(*again.data) == sio::to_json(*resp.data));
    }
  }
  return 0;
}
