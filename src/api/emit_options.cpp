#include "api/emit_options.hpp"

namespace sb::api {

std::optional<net::HttpResponse> read_emit_options(const boost::json::object& o,
                                                   sio::BroadcastOperator& op,
                                                   boost::json::array& args) {
  if (auto* ex = o.if_contains("except")) {
    if (!ex->is_array())
      return net::api_error(400, "invalid_request", "\"except\" must be an array");
    for (auto& r : ex->as_array()) {
      if (!r.is_string())
        return net::api_error(400, "invalid_request", "\"except\" must hold room names");
      op.except(std::string(r.as_string()));
    }
  }
  if (auto* a = o.if_contains("args")) {
    if (!a->is_array()) return net::api_error(400, "invalid_request", "\"args\" must be an array");
    args = a->as_array();
  } else if (auto* d = o.if_contains("data")) {
    args.push_back(*d);
  }
  if (auto* v = o.if_contains("volatile")) {
    if (!v->is_bool())
      return net::api_error(400, "invalid_request", "\"volatile\" must be true or false");
    if (v->as_bool()) op.volatile_();
  }
  return std::nullopt;
}

}  // namespace sb::api
