#include "hub/route_template.hpp"

#include <boost/json/serialize.hpp>

namespace sb::hub {

namespace json = boost::json;

static bool segment_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '$';
}

RouteTemplate RouteTemplate::parse(std::string_view text) {
  RouteTemplate t;
  t.text_ = std::string(text);
  std::string lit;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        lit += '}';
        ++i;
        continue;
      }
      throw std::invalid_argument("unmatched '}' at " + std::to_string(i) + " (write '}}')");
    }
    if (c != '{') {
      lit += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      lit += '{';
      ++i;
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string_view::npos)
      throw std::invalid_argument("unclosed '{' at " + std::to_string(i));
    std::string_view inner = text.substr(i + 1, close - i - 1);
    Part p;
    p.is_field = true;
    p.source = std::string(text.substr(i, close - i + 1));
    size_t start = 0;
    for (;;) {
      const size_t dot = inner.find('.', start);
      std::string_view seg = inner.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (seg.empty()) throw std::invalid_argument("empty field name in " + p.source);
      for (char sc : seg)
        if (!segment_char(sc)) throw std::invalid_argument("bad character in " + p.source);
      p.path.emplace_back(seg);
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (p.path[0] != "event" && p.path[0] != "data")
      throw std::invalid_argument(p.source + ": fields start with \"event\" or \"data\"");
    if (p.path[0] == "event" && p.path.size() > 1)
      throw std::invalid_argument(p.source + ": \"event\" has no fields");
    if (!lit.empty()) t.parts_.push_back(Part{false, std::move(lit), {}, {}});
    lit.clear();
    t.parts_.push_back(std::move(p));
    i = close;
  }
  if (!lit.empty()) t.parts_.push_back(Part{false, std::move(lit), {}, {}});
  return t;
}

bool RouteTemplate::expand(std::string_view event, const json::value& data, std::string& out,
                           std::string& error) const {
  out.clear();
  for (auto& p : parts_) {
    if (!p.is_field) {
      out += p.literal;
      continue;
    }
    if (p.path[0] == "event") {
      out += event;
      continue;
    }
    const json::value* v = &data;
    for (size_t i = 1; i < p.path.size(); ++i) {
      const std::string& key = p.path[i];
      if (v->is_object()) {
        v = v->as_object().if_contains(key);
      } else if (v->is_array()) {
        char* end = nullptr;
        const unsigned long idx = std::strtoul(key.c_str(), &end, 10);
        const auto& arr = v->as_array();
        v = (*end == '\0' && !key.empty() && idx < arr.size()) ? &arr[idx] : nullptr;
      } else {
        v = nullptr;
      }
      if (!v) {
        error = p.source + ": field is missing";
        return false;
      }
    }
    switch (v->kind()) {
      case json::kind::string:
        if (v->get_string().empty()) {
          error = p.source + ": field is empty";
          return false;
        }
        out += std::string_view(v->get_string());
        break;
      case json::kind::int64:
        out += std::to_string(v->get_int64());
        break;
      case json::kind::uint64:
        out += std::to_string(v->get_uint64());
        break;
      case json::kind::double_:
        out += json::serialize(*v);
        break;
      case json::kind::bool_:
        out += v->get_bool() ? "true" : "false";
        break;
      default:
        error = p.source + ": expected a string or a number, got " +
                (v->is_null()     ? std::string("null")
                 : v->is_object() ? "an object"
                                  : "an array");
        return false;
    }
  }
  if (out.empty()) {
    error = "\"" + text_ + "\" expands to an empty name";
    return false;
  }
  return true;
}

}  // namespace sb::hub
