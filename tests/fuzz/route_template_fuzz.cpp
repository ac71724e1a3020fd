// Route templates from the config ("user:{data.id}") expanded against event
// payloads. Input: the template on the first line, the JSON payload after it.
// Invariants: parse throws only std::invalid_argument; a literal template
// expands to its own text with the braces unescaped; expansion never throws.
#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hub/route_template.hpp"

using namespace sb::hub;
namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view text = in.substr(0, nl);
  const std::string_view payload = nl == std::string_view::npos ? "" : in.substr(nl + 1);

  RouteTemplate t;
  try {
    t = RouteTemplate::parse(text);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  FUZZ_CHECK(t.text() == text);

  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec) v = json::value(json::string(payload));
  std::string out, error;
  const bool ok = t.expand("ev.name", v, out, error);
  FUZZ_CHECK(ok ? !out.empty() : !error.empty());
  if (t.is_literal()) {
    std::string plain;
    for (size_t i = 0; i < text.size(); ++i) {
      plain += text[i];
      if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() && text[i + 1] == text[i]) ++i;
    }
    FUZZ_CHECK(ok == !plain.empty());
    if (ok) FUZZ_CHECK(out == plain);
  }
  return 0;
}
