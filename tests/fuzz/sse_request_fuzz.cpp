// What an SSE request asks for (gateways/intra_service/sse_request): the input is
// a request target on the first line, then a Last-Event-ID and an Authorization
// header value on the next two.
// Invariants: an accepted request names 1..max_topics valid, distinct streams,
// and a resume position with one seq per stream.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "gateways/intra_service/sse_request.hpp"
#include "gateways/intra_service/stream_catalog.hpp"

using namespace sb;

static std::string_view next_line(std::string_view& in) {
  const auto nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  return line;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  net::HttpRequest req;
  req.method = "GET";
  req.target = std::string(next_line(in));
  if (!net::parse_target(req.target, req.path, req.query)) return 0;
  if (const auto id = next_line(in); !id.empty()) req.headers.emplace_back("last-event-id", id);
  if (const auto auth = next_line(in); !auth.empty())
    req.headers.emplace_back("authorization", auth);

  constexpr size_t kMaxTopics = 4;
  intra::SseRequest out;
  const auto err = intra::parse_sse_request(req, kMaxTopics, out);
  if (err) {
    FUZZ_CHECK(err->status >= 400 && err->status < 500 && !err->code.empty());
    return 0;
  }
  FUZZ_CHECK(!out.streams.empty() && out.streams.size() <= kMaxTopics);
  for (size_t i = 0; i < out.streams.size(); ++i) {
    FUZZ_CHECK(intra::StreamCatalog::valid_name(out.streams[i]));
    FUZZ_CHECK(std::count(out.streams.begin(), out.streams.end(), out.streams[i]) == 1);
  }
  if (out.last_event_id) FUZZ_CHECK(out.last_event_id->seqs.size() == out.streams.size());
  FUZZ_CHECK(out.min_level >= -1 && out.min_level <= 5);
  FUZZ_CHECK(out.history < 1000000000);
  return 0;
}
