#include "switchboard/bus_gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "gateways/inter_service/inter_service_gateway.hpp"
#include "gateways/inter_service/message_codec.hpp"

namespace switchboard {

namespace is = sb::inter_service;

const std::string& BusGateway::broker_name() const {
  return broker_->name();
}

uint64_t BusGateway::on_message(std::string_view pattern, BusHandler handler) {
  is::Broker* b = broker_;
  const is::Codec codec = gw_->codec_of(*b);
  return b->subscribe(
      pattern,
      [b, codec, handler = std::move(handler)](const is::Message& msg, is::Ack ack) {
        is::Decoded d;
        // The broker logs (rate-limited) and counts what is refused as bad.
        if (auto err = is::decode_message(codec, b->kind(), msg, d)) return ack.bad(*err);
        BusMessage m{msg.topic, std::move(d.data), d.request_id.has_value()};
        Json result;
        std::string error;
        bool failed = false;
        try {
          result = handler(m);
        } catch (const std::exception& e) {
          failed = true;
          error = e.what();
        }
        if (d.request_id) {
          // A Nest send(): the response, or the error as Nest's RpcException carries it.
          Json value = failed ? Json(json::object{{"message", error}}) : std::move(result);
          auto reply = is::encode_reply(codec, b->kind(), *d.request_id, value, failed);
          b->reply(msg, std::move(reply), [b, topic = msg.topic](const is::Error& err) {
            if (err)
              spdlog::warn("broker {}: reply to \"{}\" failed: {}", b->name(), topic,
                           err.to_string());
          });
        }
        if (failed) {
          spdlog::warn("broker {}: handler for \"{}\" threw: {}", b->name(), msg.topic, error);
          ack.fail(error);
        } else {
          ack.ok();
        }
      },
      is::SubscribeOptions{});
}

void BusGateway::off(uint64_t id) {
  broker_->unsubscribe(id);
}

void BusGateway::publish(std::string_view topic, const Json& data, PublishDone done) {
  gw_->publish(*broker_, topic, data, [done = std::move(done)](const is::Error& err) {
    if (!done) return;
    if (err)
      done(err.to_string());
    else
      done(std::nullopt);
  });
}

void BusGateway::request(std::string_view topic, const Json& data, BusReplyHandler done,
                         uint32_t timeout_ms) {
  gw_->request(*broker_, topic, data, timeout_ms,
               [done = std::move(done)](const is::Error& err, const is::ReplyValue& reply) {
                 BusReply r;
                 if (err)
                   r.error = is::errc_name(err.code);
                 else if (!reply.ok)
                   r.error = reply.value.is_string() ? std::string(reply.value.as_string())
                                                     : json::serialize(reply.value);
                 r.value = reply.value;
                 done(std::move(r));
               });
}

}  // namespace switchboard
