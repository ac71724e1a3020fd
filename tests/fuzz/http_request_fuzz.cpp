// HTTP/1.1 requests as a connection reads them: pipelined, cut into chunks,
// under small header/body limits; then the target's path and query decoding.
// Invariants: limits hold, header names are lower-case, an upgrade is a GET, and
// percent-decoding shrinks each escape to one byte.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/http_parser.hpp"
#include "net/http_request.hpp"

using namespace sb::net;

static constexpr size_t kMaxHeader = 2048;
static constexpr uint64_t kMaxBody = 4096;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = size_t{data[0]} * 4 + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  HttpRequestParser parser;
  parser.reset(kMaxHeader, kMaxBody);
  std::string in;
  int requests = 0;
  bool failed = false;
  for (size_t off = 0; off < stream.size() && !failed; off += chunk) {
    in.append(stream.substr(off, chunk));
    for (;;) {
      const size_t before = in.size();
      HttpRequest req;
      const auto st = parser.feed(in, req);
      FUZZ_CHECK(in.size() <= before);
      if (st == HttpRequestParser::Status::NeedMore) break;
      if (st != HttpRequestParser::Status::Done) {
        failed = true;
        break;
      }
      ++requests;
      FUZZ_CHECK(!req.method.empty());
      FUZZ_CHECK(req.body.size() <= kMaxBody);
      FUZZ_CHECK(req.path.size() <= req.target.size());
      for (auto& [name, value] : req.headers)
        for (char c : name) FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)));
      if (req.upgrade_websocket) FUZZ_CHECK(req.method == "GET");
      (void)req.header("host");
      (void)req.query_param("EIO");
      parser.reset(kMaxHeader, kMaxBody);
      if (in.empty()) break;
    }
  }

  // The target decoder on its own, on the whole input.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  if (parse_target(stream, path, query)) {
    FUZZ_CHECK(path.size() <= stream.size());
    for (auto& [k, v] : query) FUZZ_CHECK(k.size() + v.size() < stream.size());
  }
  std::string decoded;
  if (percent_decode(stream, decoded, false)) {
    // Each escape shrinks three bytes to one.
    size_t escapes = 0;
    for (char c : stream) escapes += c == '%';
    FUZZ_CHECK(decoded.size() == stream.size() - 2 * escapes);
  }
  (void)header_has_token(stream, "upgrade");
  return 0;
}
