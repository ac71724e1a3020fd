#include "protocol/emitter_message.hpp"

#include <msgpuck.h>

#include <boost/json/serialize.hpp>
#include <cstring>
#include <ctime>

#include "protocol/socketio_packet.hpp"
#include "protocol/utf8.hpp"

namespace sb::emitter {

namespace json = boost::json;

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::None:
      return "ok";
    case DecodeError::TooLarge:
      return "message too large";
    case DecodeError::NotMsgpack:
      return "invalid msgpack";
    case DecodeError::BadShape:
      return "not an emitter message";
    case DecodeError::NotAnEvent:
      return "not an event";
    case DecodeError::TooDeep:
      return "nested too deep";
    case DecodeError::BadJson:
      return "invalid request";
    case DecodeError::UnknownRequest:
      return "unsupported request";
  }
  return "invalid message";
}

namespace {

struct Reader {
  const Limits& limits;
  std::vector<std::string>* attachments;  // null: binary not expected here
  DecodeError error = DecodeError::None;

  bool fail(DecodeError e) {
    if (error == DecodeError::None) error = e;
    return false;
  }

  // JS Date (msgpack timestamp, ext -1) as JSON.stringify prints it.
  static json::value timestamp(const unsigned char* d, uint32_t len) {
    int64_t sec = 0;
    uint32_t nsec = 0;
    auto be = [](const unsigned char* p, int n) {
      uint64_t v = 0;
      for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
      return v;
    };
    if (len == 4) {
      sec = static_cast<int64_t>(be(d, 4));
    } else if (len == 8) {
      uint64_t v = be(d, 8);
      nsec = static_cast<uint32_t>(v >> 34);
      sec = static_cast<int64_t>(v & 0x3ffffffffULL);
    } else if (len == 12) {
      nsec = static_cast<uint32_t>(be(d, 4));
      sec = static_cast<int64_t>(be(d + 4, 8));
    } else {
      return nullptr;
    }
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return nullptr;
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec / 1000000);
    return json::string(buf);
  }

  bool read(const char*& p, json::value& out, size_t depth) {
    if (depth > limits.max_depth) return fail(DecodeError::TooDeep);
    const auto c = static_cast<unsigned char>(*p);
    switch (mp_typeof(*p)) {
      case MP_NIL:
        mp_decode_nil(&p);
        out = nullptr;
        return true;
      case MP_BOOL:
        out = mp_decode_bool(&p);
        return true;
      case MP_UINT:
        out = mp_decode_uint(&p);
        return true;
      case MP_INT:
        out = mp_decode_int(&p);
        return true;
      case MP_FLOAT:
        out = static_cast<double>(mp_decode_float(&p));
        return true;
      case MP_DOUBLE:
        out = mp_decode_double(&p);
        return true;
      case MP_STR: {
        uint32_t n = 0;
        const char* s = mp_decode_str(&p, &n);
        // msgpack str is UTF-8 by definition; a peer's invalid bytes read as U+FFFD.
        out = json::string(utf8_lossy(std::string_view(s, n)));
        return true;
      }
      case MP_BIN: {
        uint32_t n = 0;
        const char* s = mp_decode_bin(&p, &n);
        if (!attachments) return fail(DecodeError::BadShape);
        if (attachments->size() >= limits.max_attachments) return fail(DecodeError::TooLarge);
        out = json::object{{"_placeholder", true},
                           {"num", static_cast<uint64_t>(attachments->size())}};
        attachments->emplace_back(s, n);
        return true;
      }
      case MP_ARRAY: {
        uint32_t n = mp_decode_array(&p);
        json::array a;
        a.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
          json::value v;
          if (!read(p, v, depth + 1)) return false;
          a.push_back(std::move(v));
        }
        out = std::move(a);
        return true;
      }
      case MP_MAP: {
        uint32_t n = mp_decode_map(&p);
        json::object o;
        o.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
          std::string key;
          if (mp_typeof(*p) == MP_STR) {
            uint32_t kl = 0;
            const char* k = mp_decode_str(&p, &kl);
            key = utf8_lossy(std::string_view(k, kl));
          } else if (mp_typeof(*p) == MP_UINT) {
            key = std::to_string(mp_decode_uint(&p));
          } else if (mp_typeof(*p) == MP_INT) {
            key = std::to_string(mp_decode_int(&p));
          } else {
            return fail(DecodeError::BadShape);
          }
          json::value v;
          if (!read(p, v, depth + 1)) return false;
          o[key] = std::move(v);
        }
        out = std::move(o);
        return true;
      }
      case MP_EXT: {
        // fixext 1/2/4/8/16 (0xd4..0xd8), ext 8/16/32 (0xc7..0xc9): type byte, then data.
        const auto* u = reinterpret_cast<const unsigned char*>(p);
        uint32_t len = 0, head = 0;
        if (c >= 0xd4 && c <= 0xd8) {
          len = 1u << (c - 0xd4);
          head = 1;
        } else if (c == 0xc7) {
          len = u[1];
          head = 2;
        } else if (c == 0xc8) {
          len = (uint32_t(u[1]) << 8) | u[2];
          head = 3;
        } else {
          len = (uint32_t(u[1]) << 24) | (uint32_t(u[2]) << 16) | (uint32_t(u[3]) << 8) | u[4];
          head = 5;
        }
        const auto type = static_cast<int8_t>(u[head]);
        // -1 is a timestamp (a JS Date); other types (notepack's `undefined`) become null.
        out = type == -1 ? timestamp(u + head + 1, len) : json::value(nullptr);
        mp_next(&p);
        return true;
      }
    }
    return fail(DecodeError::NotMsgpack);
  }
};

// mp_check() counts the values still to read in an int: a 32-bit array or map
// length overflows it and lets a truncated message through (the reader then runs
// off the end). Same walk with a 64-bit count; a container may not announce more
// values than bytes are left, and 0xc1 (never used) is refused.
bool valid_msgpack(const char* p, const char* end) {
  uint64_t pending = 1;
  while (pending > 0) {
    if (p >= end || static_cast<unsigned char>(*p) == 0xc1) return false;
    const auto type = mp_typeof(*p);
    if (type == MP_ARRAY || type == MP_MAP) {
      if ((type == MP_ARRAY ? mp_check_array(p, end) : mp_check_map(p, end)) > 0) return false;
      const uint64_t n = type == MP_ARRAY ? mp_decode_array(&p) : uint64_t{mp_decode_map(&p)} * 2;
      if (n > static_cast<uint64_t>(end - p)) return false;
      pending += n;
    } else if (mp_check(&p, end) != 0) {  // one scalar: no count involved
      return false;
    }
    --pending;
  }
  return p == end;
}

bool strings(const json::value* v, std::vector<std::string>& out) {
  out.clear();
  if (!v || v->is_null()) return true;
  if (!v->is_array()) return false;
  for (auto& e : v->as_array()) {
    if (e.is_string())
      out.emplace_back(e.as_string());
    else if (e.is_number())
      out.push_back(sio::to_json(e));  // numeric room names
    else
      return false;
  }
  return true;
}

bool flag(const json::object* flags, const char* name) {
  if (!flags) return false;
  auto* v = flags->if_contains(name);
  return v && v->is_bool() && v->as_bool();
}

}  // namespace

DecodeError decode_broadcast(std::string_view bytes, Broadcast& out, const Limits& limits) {
  if (bytes.size() > limits.max_bytes) return DecodeError::TooLarge;
  if (bytes.empty()) return DecodeError::NotMsgpack;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  if (!valid_msgpack(p, end)) return DecodeError::NotMsgpack;
  if (mp_typeof(*p) != MP_ARRAY || mp_decode_array(&p) < 3) return DecodeError::BadShape;

  Broadcast b;
  Reader r{limits, nullptr};
  json::value uid, packet, opts;
  if (!r.read(p, uid, 1)) return r.error;
  Reader pr{limits, &b.attachments};
  if (!pr.read(p, packet, 1)) return pr.error;
  if (!r.read(p, opts, 1)) return r.error;
  if (!packet.is_object()) return DecodeError::BadShape;
  if (uid.is_string()) b.uid = std::string(uid.as_string());

  auto& po = packet.as_object();
  auto* type = po.if_contains("type");
  if (!type || !type->is_number()) return DecodeError::BadShape;
  if (type->to_number<double>() != 2) return DecodeError::NotAnEvent;
  auto* data = po.if_contains("data");
  if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_string())
    return DecodeError::BadShape;
  // Every attachment must be one placeholder of `data`: a `bin` elsewhere in the
  // packet, or in a "data" that a repeated key replaced, would be sent to clients
  // as an attachment no placeholder refers to.
  if (!sio::placeholders_valid(*data, static_cast<uint32_t>(b.attachments.size())))
    return DecodeError::BadShape;
  b.data = std::move(data->as_array());
  if (auto* nsp = po.if_contains("nsp"); nsp && nsp->is_string()) {
    b.nsp = std::string(nsp->as_string());
    if (b.nsp.empty() || b.nsp[0] != '/') b.nsp.insert(0, "/");
  }
  if (opts.is_object()) {
    auto& oo = opts.as_object();
    if (!strings(oo.if_contains("rooms"), b.rooms) || !strings(oo.if_contains("except"), b.except))
      return DecodeError::BadShape;
    const json::object* flags = nullptr;
    if (auto* f = oo.if_contains("flags"); f && f->is_object()) flags = &f->as_object();
    b.is_volatile = flag(flags, "volatile");
    b.local = flag(flags, "local");
  } else if (!opts.is_null()) {
    return DecodeError::BadShape;
  }
  out = std::move(b);
  return DecodeError::None;
}

namespace {

struct Writer {
  std::string out;
  const std::vector<std::string>* attachments = nullptr;

  void raw(const char* begin, const char* end) { out.append(begin, end); }
  template <class Fn>
  void put(size_t max, Fn fn) {
    const size_t at = out.size();
    out.resize(at + max);
    char* e = fn(out.data() + at);
    out.resize(static_cast<size_t>(e - out.data()));
  }
  void str(std::string_view s) {
    put(5 + s.size(),
        [&](char* d) { return mp_encode_str(d, s.data(), static_cast<uint32_t>(s.size())); });
  }
  void value(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null:
        put(1, [](char* d) { return mp_encode_nil(d); });
        return;
      case json::kind::bool_:
        put(1, [&](char* d) { return mp_encode_bool(d, v.get_bool()); });
        return;
      case json::kind::int64:
        if (v.get_int64() >= 0)
          put(9, [&](char* d) { return mp_encode_uint(d, static_cast<uint64_t>(v.get_int64())); });
        else
          put(9, [&](char* d) { return mp_encode_int(d, v.get_int64()); });
        return;
      case json::kind::uint64:
        put(9, [&](char* d) { return mp_encode_uint(d, v.get_uint64()); });
        return;
      case json::kind::double_:
        put(9, [&](char* d) { return mp_encode_double(d, v.get_double()); });
        return;
      case json::kind::string:
        str(v.get_string());
        return;
      case json::kind::array:
        put(5, [&](char* d) {
          return mp_encode_array(d, static_cast<uint32_t>(v.get_array().size()));
        });
        for (auto& e : v.get_array()) value(e);
        return;
      case json::kind::object: {
        auto& o = v.get_object();
        if (attachments && o.size() == 2) {
          auto* ph = o.if_contains("_placeholder");
          auto* num = o.if_contains("num");
          if (ph && ph->is_bool() && ph->get_bool() && num && num->is_number()) {
            const auto i = num->to_number<uint64_t>();
            if (i < attachments->size()) {
              const auto& a = (*attachments)[i];
              put(5 + a.size(), [&](char* d) {
                return mp_encode_bin(d, a.data(), static_cast<uint32_t>(a.size()));
              });
              return;
            }
          }
        }
        put(5, [&](char* d) { return mp_encode_map(d, static_cast<uint32_t>(o.size())); });
        for (auto& kv : o) {
          str(kv.key());
          value(kv.value());
        }
        return;
      }
    }
  }
  void strings(const std::vector<std::string>& v) {
    put(5, [&](char* d) { return mp_encode_array(d, static_cast<uint32_t>(v.size())); });
    for (auto& s : v) str(s);
  }
};

}  // namespace

std::string encode_broadcast(const Broadcast& b) {
  Writer w;
  w.attachments = &b.attachments;
  w.put(1, [](char* d) { return mp_encode_array(d, 3); });
  w.str(b.uid);
  w.put(1, [](char* d) { return mp_encode_map(d, 3); });
  w.str("type");
  w.put(1, [](char* d) { return mp_encode_uint(d, 2); });
  w.str("data");
  w.value(b.data);
  w.str("nsp");
  w.str(b.nsp);
  w.put(1, [](char* d) { return mp_encode_map(d, 3); });
  w.str("rooms");
  w.strings(b.rooms);
  w.str("except");
  w.strings(b.except);
  w.str("flags");
  const int nflags = (b.is_volatile ? 1 : 0) + (b.local ? 1 : 0);
  w.put(1, [&](char* d) { return mp_encode_map(d, static_cast<uint32_t>(nflags)); });
  if (b.is_volatile) {
    w.str("volatile");
    w.put(1, [](char* d) { return mp_encode_bool(d, true); });
  }
  if (b.local) {
    w.str("local");
    w.put(1, [](char* d) { return mp_encode_bool(d, true); });
  }
  return std::move(w.out);
}

DecodeError decode_ack_broadcast(std::string_view bytes, AckBroadcast& out, const Limits& limits) {
  if (bytes.size() > limits.max_bytes) return DecodeError::TooLarge;
  if (bytes.empty()) return DecodeError::NotMsgpack;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  if (!valid_msgpack(p, end)) return DecodeError::NotMsgpack;
  if (mp_typeof(*p) != MP_MAP) return DecodeError::BadShape;
  // Read as a whole; the packet's binary arguments become attachments.
  AckBroadcast a;
  Reader r{limits, &a.broadcast.attachments};
  json::value v;
  if (!r.read(p, v, 0)) return r.error;
  if (!v.is_object()) return DecodeError::BadShape;
  auto& o = v.as_object();
  auto* type = o.if_contains("type");
  auto* id = o.if_contains("requestId");
  if (!type || !type->is_number() || type->to_number<double>() != 7)
    return DecodeError::UnknownRequest;
  if (!id || !id->is_string() || id->as_string().empty()) return DecodeError::BadShape;
  a.request_id = std::string(id->as_string());
  if (auto* uid = o.if_contains("uid"); uid && uid->is_string())
    a.broadcast.uid = std::string(uid->as_string());
  auto* packet = o.if_contains("packet");
  if (!packet || !packet->is_object()) return DecodeError::BadShape;
  auto& po = packet->as_object();
  auto* data = po.if_contains("data");
  if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_string())
    return DecodeError::BadShape;
  if (!sio::placeholders_valid(*data, static_cast<uint32_t>(a.broadcast.attachments.size())))
    return DecodeError::BadShape;
  a.broadcast.data = std::move(data->as_array());
  if (auto* nsp = po.if_contains("nsp"); nsp && nsp->is_string()) {
    a.broadcast.nsp = std::string(nsp->as_string());
    if (a.broadcast.nsp.empty() || a.broadcast.nsp[0] != '/') a.broadcast.nsp.insert(0, "/");
  }
  if (auto* opts = o.if_contains("opts"); opts && opts->is_object()) {
    auto& oo = opts->as_object();
    if (!strings(oo.if_contains("rooms"), a.broadcast.rooms) ||
        !strings(oo.if_contains("except"), a.broadcast.except))
      return DecodeError::BadShape;
    const json::object* flags = nullptr;
    if (auto* f = oo.if_contains("flags"); f && f->is_object()) flags = &f->as_object();
    a.broadcast.is_volatile = flag(flags, "volatile");
    a.broadcast.local = flag(flags, "local");
    if (flags)
      if (auto* t = flags->if_contains("timeout"); t && t->is_number()) {
        const double ms = t->to_number<double>();
        if (ms > 0 && ms < 3600000) a.timeout_ms = static_cast<uint32_t>(ms);
      }
  }
  out = std::move(a);
  return DecodeError::None;
}

std::string encode_client_count(std::string_view request_id, size_t count) {
  return json::serialize(
      json::object{{"type", 8}, {"requestId", request_id}, {"clientCount", count}});
}

std::string encode_broadcast_ack(std::string_view request_id, const json::value& arg) {
  Writer w;
  w.put(1, [](char* d) { return mp_encode_map(d, 3); });
  w.str("type");
  w.put(1, [](char* d) { return mp_encode_uint(d, 9); });
  w.str("requestId");
  w.str(request_id);
  w.str("packet");
  w.value(arg);
  return std::move(w.out);
}

std::string broadcast_channel(std::string_view prefix, std::string_view nsp,
                              std::string_view room) {
  std::string c(prefix);
  c += '#';
  c += nsp;
  c += '#';
  if (!room.empty()) {
    c += room;
    c += '#';
  }
  return c;
}

std::optional<std::string> room_of_channel(std::string_view prefix, std::string_view nsp,
                                           std::string_view channel) {
  const std::string base = broadcast_channel(prefix, nsp);
  if (channel.substr(0, base.size()) != base) return std::nullopt;
  auto rest = channel.substr(base.size());
  if (rest.empty()) return std::string();
  if (rest.back() != '#') return std::nullopt;
  return std::string(rest.substr(0, rest.size() - 1));
}

std::string request_channel(std::string_view prefix, std::string_view nsp) {
  std::string c(prefix);
  c += "-request#";
  c += nsp;
  c += '#';
  return c;
}

DecodeError decode_request(std::string_view bytes, Request& out, size_t max_bytes) {
  if (bytes.size() > max_bytes) return DecodeError::TooLarge;
  if (bytes.empty() || bytes[0] != '{')
    return DecodeError::UnknownRequest;  // msgpack: adapter peers
  json::value v;
  if (!sio::parse_json(bytes, 32, v) || !v.is_object()) return DecodeError::BadJson;
  auto& o = v.as_object();
  if (o.contains("requestId")) return DecodeError::UnknownRequest;
  auto* type = o.if_contains("type");
  if (!type || !type->is_number()) return DecodeError::BadJson;
  const double t = type->to_number<double>();
  Request r;
  if (auto* uid = o.if_contains("uid"); uid && uid->is_string())
    r.uid = std::string(uid->as_string());
  if (auto* opts = o.if_contains("opts"); opts && opts->is_object()) {
    if (!strings(opts->as_object().if_contains("rooms"), r.rooms) ||
        !strings(opts->as_object().if_contains("except"), r.except))
      return DecodeError::BadJson;
  }
  if (t == 2 || t == 3) {
    r.type = t == 2 ? RequestType::RemoteJoin : RequestType::RemoteLeave;
    if (!strings(o.if_contains("rooms"), r.target_rooms) || r.target_rooms.empty())
      return DecodeError::BadJson;
  } else if (t == 4) {
    r.type = RequestType::RemoteDisconnect;
    auto* close = o.if_contains("close");
    r.close = close && close->is_bool() && close->as_bool();
  } else if (t == 6) {
    r.type = RequestType::ServerSideEmit;
    auto* data = o.if_contains("data");
    if (!data || !data->is_array() || data->as_array().empty() || !data->as_array()[0].is_string())
      return DecodeError::BadJson;
    r.data = data->as_array();
  } else {
    return DecodeError::UnknownRequest;
  }
  out = std::move(r);
  return DecodeError::None;
}

std::string encode_request(const Request& r) {
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    a.reserve(v.size());
    for (auto& x : v) a.emplace_back(json::string(x));
    return a;
  };
  json::object o;
  if (!r.uid.empty()) o["uid"] = r.uid;
  o["type"] = static_cast<int>(r.type);
  switch (r.type) {
    case RequestType::RemoteJoin:
    case RequestType::RemoteLeave:
      o["opts"] = json::object{{"rooms", strings(r.rooms)}, {"except", strings(r.except)}};
      o["rooms"] = strings(r.target_rooms);
      break;
    case RequestType::RemoteDisconnect:
      o["opts"] = json::object{{"rooms", strings(r.rooms)}, {"except", strings(r.except)}};
      o["close"] = r.close;
      break;
    case RequestType::ServerSideEmit:
      o["data"] = r.data;
      break;
  }
  return json::serialize(o);
}

}  // namespace sb::emitter
