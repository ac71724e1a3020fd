#include "gateways/inter_service/recovery_log_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sb::inter_service {

namespace json = boost::json;

std::shared_ptr<sio::Broadcast> broadcast_from_entry(protocol::StreamId id,
                                                     std::string_view payload) {
  emitter::Broadcast b;
  if (emitter::decode_broadcast(payload, b) != emitter::DecodeError::None) return nullptr;
  return broadcast_from_entry(id, std::move(b));
}

std::shared_ptr<sio::Broadcast> broadcast_from_entry(protocol::StreamId id, emitter::Broadcast b) {
  if (b.data.empty() || !b.data[0].is_string()) return nullptr;
  auto out = std::make_shared<sio::Broadcast>();
  out->nsp = std::move(b.nsp);
  out->rooms = std::move(b.rooms);
  out->except = std::move(b.except);
  out->stream_id = id;
  const std::string event(b.data[0].get_string());
  json::array args(b.data.begin() + 1, b.data.end());
  if (!id.empty()) args.emplace_back(json::string(id.to_string()));
  out->wires = sio::encode_event(out->nsp, event, args, b.attachments);
  return out;
}

emitter::Broadcast entry_of_emit(const sio::ClusterEmit& e, const std::string& uid) {
  emitter::Broadcast b;
  b.uid = uid;
  b.nsp = std::string(e.nsp);
  b.data.reserve(e.args.size() + 1);
  b.data.emplace_back(boost::json::string(e.event));
  for (auto& a : e.args) b.data.push_back(a);
  b.attachments = e.attachments;
  b.rooms = e.rooms;
  b.except = e.except;
  return b;
}

std::string encode_session(const sio::SavedSession& s) {
  json::array rooms;
  for (auto& r : s.rooms) rooms.emplace_back(json::string(r));
  return json::serialize(
      json::object{{"sid", s.sid}, {"nsp", s.nsp}, {"user", s.user_id}, {"rooms", rooms}});
}

std::optional<sio::SavedSession> decode_session(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto& o = v.as_object();
  auto str = [&](const char* k) -> const json::string* {
    auto* f = o.if_contains(k);
    return f && f->is_string() ? &f->get_string() : nullptr;
  };
  auto* sid = str("sid");
  auto* nsp = str("nsp");
  auto* user = str("user");
  auto* rooms = o.if_contains("rooms");
  if (!sid || !nsp || !user || !rooms || !rooms->is_array()) return std::nullopt;
  sio::SavedSession s;
  s.sid = std::string(*sid);
  s.nsp = std::string(*nsp);
  s.user_id = std::string(*user);
  for (auto& r : rooms->get_array()) {
    if (!r.is_string()) return std::nullopt;
    s.rooms.emplace_back(r.get_string());
  }
  return s;
}

}  // namespace sb::inter_service
