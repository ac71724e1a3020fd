#include "app/route_sinks.hpp"

#include <boost/json/serialize.hpp>

#include "gateways/client/sio_server.hpp"
#include "gateways/intra_service/sse_server.hpp"

namespace sb {

namespace {

class SseSink : public hub::RouteSink {
 public:
  explicit SseSink(intra::SseServer& sse) : sse_(sse) {}
  bool deliver(const hub::Delivery& d, std::string& error) override {
    auto r = sse_.publish(d.target, d.event, boost::json::serialize(d.data));
    if (!r.ok) error = r.message;
    return r.ok;
  }

 private:
  intra::SseServer& sse_;
};

class RoomSink : public hub::RouteSink {
 public:
  RoomSink(sio::SioServer& sio, bool user) : sio_(sio), user_(user) {}
  bool deliver(const hub::Delivery& d, std::string& error) override {
    if (!sio_.find_namespace(d.nsp)) {
      error = "no namespace \"" + std::string(d.nsp) + "\"";
      return false;
    }
    if (user_ && d.nsp == "/") {
      // notify_user: the inbox stores it first when the route (or its default) says so.
      sio::NotifyOptions opts;
      opts.store = d.store;
      opts.deliver_missed = d.deliver_missed;
      if (opts.store.value_or(false) && !sio_.inbox()) {
        error = "store asked but the inbox is off";
        return false;
      }
      sio_.notify_user(std::string(d.target), d.event, d.data, std::move(opts));
      return true;
    }
    boost::json::array args;
    args.push_back(d.data);
    std::string room = user_ ? "user:" + std::string(d.target) : std::string(d.target);
    sio_.in(std::string(d.nsp)).to(std::move(room)).emit(d.event, std::move(args));
    return true;
  }

 private:
  sio::SioServer& sio_;
  bool user_;
};

}  // namespace

std::shared_ptr<hub::RouteSink> make_sse_sink(intra::SseServer& sse) {
  return std::make_shared<SseSink>(sse);
}

std::shared_ptr<hub::RouteSink> make_room_sink(sio::SioServer& sio, bool user) {
  return std::make_shared<RoomSink>(sio, user);
}

}  // namespace sb
