#include "protocol/socketio_packet.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <vector>

namespace sb::sio {
namespace json = boost::json;

namespace {

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_binary(PacketType t) {
  return t == PacketType::BinaryEvent || t == PacketType::BinaryAck;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Number.prototype.toString: shortest round-trip digits, laid out per ECMA-262
// Number::toString (plain decimal for 1e-7 < |v| < 1e21, exponent form otherwise).
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // JSON.stringify(NaN/Infinity)
    return;
  }
  if (v == 0) {
    out += '0';  // also -0
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));  // "-d.ddde+XX"
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  std::string_view mant = sci.substr(0, e_pos);
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);

  char digits[32];
  int k = 0;
  for (char c : mant)
    if (c != '.') digits[k++] = c;
  const int n = exp10 + 1;  // value = 0.digits * 10^n

  if (k <= n && n <= 21) {
    out.append(digits, static_cast<size_t>(k));
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, static_cast<size_t>(n));
    out += '.';
    out.append(digits + n, static_cast<size_t>(k - n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out.append(digits, static_cast<size_t>(k));
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, static_cast<size_t>(k - 1));
    }
    out += 'e';
    out += n - 1 < 0 ? '-' : '+';
    append_int(out, n - 1 < 0 ? 1 - n : n - 1);
  }
}

// JSON.stringify string quoting: short escapes, \u00xx for other controls, UTF-8 as is.
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending unescaped run
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Boost.JSON 1.81 converts decimals with a fast path that is off by an ulp or more for
// ~10% of 17-digit doubles (e.g. 238.20188140736326), so forwarded numbers would drift.
// This handler mirrors json::parser's but redoes doubles with the correctly rounded
// std::from_chars on the number's own text.
struct PreciseHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  bool number_split = false;  // number text arrived in parts (not with one complete write)

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) {
    number_split = true;
    return true;
  }
  bool on_int64(int64_t i, json::string_view, json::error_code&) {
    number_split = false;
    st.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, json::error_code&) {
    number_split = false;
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    if (!number_split) {
      double precise = 0;
      const auto r = std::from_chars(s.data(), s.data() + s.size(), precise);
      // Out of range keeps Boost's value (inf or 0), as JSON.parse gives.
      if (r.ec == std::errc{} && r.ptr == s.data() + s.size()) d = precise;
    }
    number_split = false;
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

void append_type_prefix(std::string& out, PacketType type, std::string_view nsp,
                        std::optional<uint64_t> id, uint32_t attachments) {
  out += static_cast<char>('0' + static_cast<uint8_t>(type));
  if (attachments > 0 && is_binary(type)) {
    append_uint(out, attachments);
    out += '-';
  }
  if (!nsp.empty() && nsp != "/") {
    out += nsp;
    out += ',';
  }
  if (id) append_uint(out, *id);
}

// Returns the placeholder index, -1 for an ordinary object, -2 for a malformed placeholder.
int64_t placeholder_num(const json::object& o) {
  const json::value* flag = o.if_contains("_placeholder");
  if (!flag) return -1;
  if (!flag->is_bool() || !flag->get_bool()) return -1;  // JS checks `_placeholder === true`
  const json::value* num = o.if_contains("num");
  if (o.size() != 2 || !num) return -2;
  if (num->is_int64()) return num->get_int64() >= 0 ? num->get_int64() : -2;
  if (num->is_uint64()) {
    return num->get_uint64() <= INT64_MAX ? static_cast<int64_t>(num->get_uint64()) : -2;
  }
  return -2;
}

// Memory stays proportional to the placeholders present, whatever `expected` says.
bool collect_placeholders(const json::value& v, uint32_t expected, std::vector<uint32_t>& nums) {
  if (const auto* arr = v.if_array()) {
    for (const auto& e : *arr)
      if (!collect_placeholders(e, expected, nums)) return false;
  } else if (const auto* obj = v.if_object()) {
    const int64_t num = placeholder_num(*obj);
    if (num == -2) return false;
    if (num >= 0) {
      if (num >= int64_t{expected} || nums.size() >= expected) return false;
      nums.push_back(static_cast<uint32_t>(num));
      return true;
    }
    for (const auto& kv : *obj)
      if (!collect_placeholders(kv.value(), expected, nums)) return false;
  }
  return true;
}

bool payload_valid(PacketType type, const json::value& data, bool has_data,
                   std::optional<uint64_t> id) {
  switch (type) {
    case PacketType::Connect:
      return !has_data || data.is_object();
    case PacketType::Disconnect:
      return !has_data;
    case PacketType::Event:
    case PacketType::BinaryEvent: {
      const auto* arr = data.if_array();
      if (!arr || arr->empty()) return false;
      const auto& name = arr->front();
      return name.is_string() || name.is_number();
    }
    case PacketType::Ack:
    case PacketType::BinaryAck:
      return data.is_array() && id.has_value();
    case PacketType::ConnectError:
      return data.is_object() || data.is_string();
  }
  return false;
}

}  // namespace

bool parse_json(std::string_view text, size_t max_depth, json::value& out) {
  json::parse_options opts;
  opts.max_depth = max_depth;
  json::basic_parser<PreciseHandler> parser(opts);
  parser.handler().st.reset();
  json::error_code ec;
  const size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || n != text.size() || !parser.done()) return false;
  out = parser.handler().st.release();
  return true;
}

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::None:
      return "ok";
    case DecodeError::Empty:
      return "empty packet";
    case DecodeError::UnknownType:
      return "unknown packet type";
    case DecodeError::BadAttachments:
      return "invalid attachment count";
    case DecodeError::BadNamespace:
      return "invalid namespace";
    case DecodeError::BadAckId:
      return "invalid ack id";
    case DecodeError::BadJson:
      return "invalid JSON";
    case DecodeError::BadPayload:
      return "invalid payload for packet type";
    case DecodeError::ReservedEvent:
      return "reserved event name";
  }
  return "unknown error";
}

bool is_reserved_event(std::string_view name) {
  return name == "connect" || name == "connect_error" || name == "disconnect" ||
         name == "disconnecting" || name == "newListener" || name == "removeListener";
}

DecodeError decode(std::string_view text, Packet& out, const Limits& limits) {
  if (text.empty()) return DecodeError::Empty;
  const char t = text.front();
  if (t < '0' || t > '6') return DecodeError::UnknownType;
  const auto type = static_cast<PacketType>(t - '0');
  size_t i = 1;

  // Attachment count: "<digits>-", mandatory for binary types and forbidden otherwise.
  size_t d = i;
  while (d < text.size() && is_digit(text[d])) ++d;
  const bool has_count = d > i && d < text.size() && text[d] == '-';
  uint32_t attachments = 0;
  if (is_binary(type)) {
    if (!has_count) return DecodeError::BadAttachments;
    uint64_t n = 0;
    if (d - i > 10) return DecodeError::BadAttachments;  // cannot fit the limit anyway
    for (size_t j = i; j < d; ++j) n = n * 10 + static_cast<uint64_t>(text[j] - '0');
    if (n == 0 || n > limits.max_attachments) return DecodeError::BadAttachments;
    attachments = static_cast<uint32_t>(n);
    i = d + 1;
  } else if (has_count) {
    // No valid payload starts with '-', so "<digits>-" can only be a misplaced count.
    return DecodeError::BadAttachments;
  }

  // Namespace: from '/' up to the first ',' (consumed) or the end of the text.
  std::string_view nsp = "/";
  if (i < text.size() && text[i] == '/') {
    const size_t comma = text.find(',', i);
    const size_t end = comma == std::string_view::npos ? text.size() : comma;
    nsp = text.substr(i, end - i);
    if (nsp.size() > limits.max_nsp_length) return DecodeError::BadNamespace;
    i = comma == std::string_view::npos ? end : end + 1;
  }

  // Ack id: the run of digits that follows.
  std::optional<uint64_t> id;
  d = i;
  while (d < text.size() && is_digit(text[d])) ++d;
  if (d > i) {
    if (d - i > 19) return DecodeError::BadAckId;
    uint64_t v = 0;
    auto r = std::from_chars(text.data() + i, text.data() + d, v);
    if (r.ec != std::errc{}) return DecodeError::BadAckId;
    id = v;
    i = d;
  }

  json::value data;
  const bool has_data = i < text.size();
  if (has_data) {
    if (!parse_json(text.substr(i), limits.max_json_depth, data)) return DecodeError::BadJson;
  }
  if (!payload_valid(type, data, has_data, id)) return DecodeError::BadPayload;
  if (type == PacketType::Event || type == PacketType::BinaryEvent) {
    const auto& name = data.get_array().front();
    if (name.is_string() && is_reserved_event(name.get_string())) {
      return DecodeError::ReservedEvent;
    }
  }

  out.type = type;
  out.nsp.assign(nsp);
  out.id = id;
  out.attachments = attachments;
  out.data = std::move(data);
  return DecodeError::None;
}

void encode(const Packet& p, std::string& out) {
  append_type_prefix(out, p.type, p.nsp, p.id, p.attachments);
  if (!p.data.is_null()) append_json(out, p.data);
}

void encode_raw(PacketType type, std::string_view nsp, std::optional<uint64_t> id,
                uint32_t attachments, std::string_view json, std::string& out) {
  append_type_prefix(out, type, nsp, id, attachments);
  out += json;
}

bool placeholders_valid(const json::value& v, uint32_t expected) {
  std::vector<uint32_t> nums;
  if (!collect_placeholders(v, expected, nums) || nums.size() != expected) return false;
  // `expected` values all below `expected`: distinct exactly when they are 0..expected-1.
  std::sort(nums.begin(), nums.end());
  return std::adjacent_find(nums.begin(), nums.end()) == nums.end();
}

std::string to_json(const json::value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

void append_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      append_int(out, v.get_int64());
      break;
    case json::kind::uint64:
      append_uint(out, v.get_uint64());
      break;
    case json::kind::double_:
      append_double(out, v.get_double());
      break;
    case json::kind::string:
      append_string(out, v.get_string());
      break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_string(out, kv.key());
        out += ':';
        append_json(out, kv.value());
      }
      out += '}';
      break;
    }
  }
}

}  // namespace sb::sio
