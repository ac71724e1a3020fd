#include "switchboard/sse_gateway.hpp"

#include <boost/json/serialize.hpp>

#include "gateways/intra_service/sse_server.hpp"

namespace switchboard {

Published SseGateway::publish(std::string_view stream, std::string_view event, const Json& data) {
  return publish_text(stream, event, json::serialize(data));
}

Published SseGateway::publish_text(std::string_view stream, std::string_view event,
                                   std::string_view text) {
  auto p = sse_->publish(stream, event, text);
  Published out;
  out.ok = p.ok;
  out.id = std::move(p.id);
  if (!p.ok) out.error = p.code.empty() ? p.message : p.code + ": " + p.message;
  return out;
}

}  // namespace switchboard
