#include "protocol/nest_packet.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <vector>

#include "protocol/socketio_packet.hpp"
#include "protocol/utf8.hpp"

namespace sb::nest {

namespace json = boost::json;

constexpr size_t kMaxDepth = 32;  // as boost::json::parse

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::None:
      return "ok";
    case DecodeError::TooLarge:
      return "message too large";
    case DecodeError::BadPattern:
      return "invalid pattern";
    case DecodeError::BadId:
      return "invalid id";
  }
  return "invalid message";
}

static void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

static bool append_route(std::string& out, const json::value& v, int depth) {
  if (v.is_string()) {
    out.append(v.as_string());
    return true;
  }
  if (v.is_number() || v.is_bool()) {
    out += sio::to_json(v);
    return true;
  }
  if (!v.is_object() || depth > 5) return false;
  const auto& o = v.as_object();
  if (o.size() > 20) return false;
  std::vector<std::string_view> keys;
  for (auto& kv : o) keys.push_back(kv.key());
  // JS's default sort compares UTF-16 code units; for the ASCII keys patterns use,
  // that is byte order.
  std::sort(keys.begin(), keys.end());
  out.push_back('{');
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out.push_back(',');
    append_quoted(out, keys[i]);
    out.push_back(':');
    const json::value& child = o.at(keys[i]);
    if (child.is_string()) {
      append_quoted(out, child.as_string());
    } else if (!append_route(out, child, depth + 1)) {
      return false;
    }
  }
  out.push_back('}');
  return true;
}

std::optional<std::string> normalize_pattern(const json::value& pattern) {
  std::string out;
  if (!append_route(out, pattern, 1) || out.empty()) return std::nullopt;
  return out;
}

DecodeError decode_inbound(std::string_view payload, std::string_view channel, Inbound& out,
                           size_t max_bytes) {
  if (payload.size() > max_bytes) return DecodeError::TooLarge;
  Inbound in;
  // Read as text first, invalid UTF-8 as U+FFFD, as Node does before Nest parses it.
  std::string storage;
  const std::string_view text = utf8_lossy(payload, storage);
  json::value v;
  const bool parsed = sio::parse_json(text, kMaxDepth, v);
  const json::object* o = (parsed && v.is_object()) ? &v.as_object() : nullptr;
  if (!o || (!o->contains("pattern") && !o->contains("data"))) {
    in.external = true;
    in.pattern = std::string(channel);
    in.data = parsed ? std::move(v) : json::value(json::string(text));
    out = std::move(in);
    return DecodeError::None;
  }
  if (auto* p = o->if_contains("pattern")) {
    auto route = normalize_pattern(*p);
    if (!route) return DecodeError::BadPattern;
    in.pattern = std::move(*route);
  } else {
    in.pattern = std::string(channel);
  }
  if (auto* d = o->if_contains("data")) in.data = *d;
  if (auto* id = o->if_contains("id")) {
    if (id->is_string())
      in.id = std::string(id->as_string());
    else if (id->is_number())
      in.id = sio::to_json(*id);
    else if (!id->is_null())
      return DecodeError::BadId;
  }
  out = std::move(in);
  return DecodeError::None;
}

static std::string envelope(std::string_view pattern, const json::value& data,
                            std::optional<std::string_view> id) {
  std::string out = "{\"pattern\":";
  sio::append_json(out, json::value(json::string(pattern)));
  out += ",\"data\":";
  sio::append_json(out, data);
  if (id) {
    out += ",\"id\":";
    sio::append_json(out, json::value(json::string(*id)));
  }
  out.push_back('}');
  return out;
}

std::string encode_request(std::string_view pattern, const json::value& data, std::string_view id) {
  return envelope(pattern, data, id);
}

std::string encode_event(std::string_view pattern, const json::value& data) {
  return envelope(pattern, data, std::nullopt);
}

static std::string reply(std::string_view id, const char* key, const json::value& v) {
  std::string out = "{\"id\":";
  sio::append_json(out, json::value(json::string(id)));
  out += ",\"";
  out += key;
  out += "\":";
  sio::append_json(out, v);
  out += ",\"isDisposed\":true}";
  return out;
}

std::string encode_response(std::string_view id, const json::value& response) {
  return reply(id, "response", response);
}

std::string encode_error(std::string_view id, const json::value& err) {
  return reply(id, "err", err);
}

bool decode_response(std::string_view payload, Response& out) {
  json::value v;
  if (!sio::parse_json(payload, kMaxDepth, v) || !v.is_object()) return false;
  auto& o = v.as_object();
  Response r;
  auto* id = o.if_contains("id");
  if (!id) return false;
  if (id->is_string())
    r.id = std::string(id->as_string());
  else if (id->is_number())
    r.id = sio::to_json(*id);
  else
    return false;
  bool foreign = false;
  for (auto& kv : o) {
    auto k = kv.key();
    if (k != "id" && k != "err" && k != "response" && k != "isDisposed" && k != "status")
      foreign = true;
  }
  if (foreign) {
    r.response = std::move(v);
    r.disposed = true;
    out = std::move(r);
    return true;
  }
  if (auto* e = o.if_contains("err"); e && !e->is_null()) r.err = *e;
  if (auto* resp = o.if_contains("response")) r.response = *resp;
  if (auto* d = o.if_contains("isDisposed"); d && d->is_bool()) r.disposed = d->as_bool();
  if (r.err) r.disposed = true;  // an error ends the request
  out = std::move(r);
  return true;
}

std::string new_request_id() {
  static constexpr char kAbc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char rnd[21];
  RAND_bytes(rnd, sizeof rnd);
  std::string id(21, 'x');
  for (size_t i = 0; i < id.size(); ++i) id[i] = kAbc[rnd[i] & 63];
  return id;
}

}  // namespace sb::nest
