#pragma once
// A name with placeholders filled from an event: "user:{data.user_id}",
// "orders.{data.order.id}", "{event}". `event` is the source event's name,
// `data` its JSON payload; path segments are object keys or array indexes.
// "{{" and "}}" stand for literal braces.
#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sb::hub {

class RouteTemplate {
 public:
  RouteTemplate() = default;
  // Throws std::invalid_argument with a message saying what is wrong.
  static RouteTemplate parse(std::string_view text);

  // Fills the placeholders. A missing field, an object/array/null value or an
  // empty result makes it fail: returns false with `error` set.
  bool expand(std::string_view event, const boost::json::value& data, std::string& out,
              std::string& error) const;

  const std::string& text() const { return text_; }
  bool is_literal() const { return parts_.size() <= 1 && (parts_.empty() || !parts_[0].is_field); }

 private:
  struct Part {
    bool is_field = false;
    std::string literal;            // when !is_field
    std::vector<std::string> path;  // when is_field: "event" or "data", then keys
    std::string source;             // "{data.x}" as written, for errors
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace sb::hub
