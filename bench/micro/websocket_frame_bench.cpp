// RFC 6455 frame codec: client frame header parsing, (un)masking throughput,
// server frame headers, UTF-8 validation of text frames, and the shared Wire.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "inputs.hpp"
#include "net/wire.hpp"
#include "protocol/utf8.hpp"
#include "protocol/websocket_frame.hpp"

namespace {

using sb::ws::FrameHeader;
using sb::ws::Opcode;
using sb::ws::ParseResult;

// A masked client text frame header for a payload of `len` bytes.
std::vector<uint8_t> client_header(uint64_t len) {
  std::vector<uint8_t> h(14);
  const size_t n = sb::ws::write_header(h.data(), Opcode::Text, len);
  h[1] |= 0x80;  // MASK
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::memcpy(h.data() + n, mask, 4);
  h.resize(n + 4);
  return h;
}

void BM_WsParseHeader(benchmark::State& state) {
  const auto len = static_cast<uint64_t>(state.range(0));
  const auto h = client_header(len);
  for (auto _ : state) {
    FrameHeader out;
    auto r = sb::ws::parse_header(h.data(), h.size(), 1 << 20, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
// 7-bit, 16-bit and 64-bit length forms.
BENCHMARK(BM_WsParseHeader)->Arg(64)->Arg(1 << 10)->Arg(100000);

// WsConnection::consume unmasks every payload in place with offset 0.
void BM_WsUnmask(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::string buf = sb::bench::random_bytes(n);
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  for (auto _ : state) {
    sb::ws::unmask(reinterpret_cast<uint8_t*>(buf.data()), n, mask, 0);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_WsUnmask)->Arg(16)->Arg(64)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20);

// A non-zero offset (continuing a payload split across reads) and an odd length.
void BM_WsUnmask_Unaligned(benchmark::State& state) {
  const size_t n = (64 << 10) + 3;
  std::string buf = sb::bench::random_bytes(n + 1);
  const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  for (auto _ : state) {
    sb::ws::unmask(reinterpret_cast<uint8_t*>(buf.data()) + 1, n, mask, 3);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_WsUnmask_Unaligned);

void BM_WsWriteHeader(benchmark::State& state) {
  const auto len = static_cast<uint64_t>(state.range(0));
  uint8_t out[10];
  for (auto _ : state) {
    benchmark::DoNotOptimize(len);
    size_t n = sb::ws::write_header(out, Opcode::Text, len);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WsWriteHeader)->Arg(64)->Arg(1 << 10)->Arg(100000);

// Text frames are validated before the Engine.IO layer sees them.
void BM_WsValidUtf8_Ascii(benchmark::State& state) {
  const std::string s = sb::bench::ascii_text(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    bool ok = sb::valid_utf8(s);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_WsValidUtf8_Ascii)->Arg(64)->Arg(64 << 10);

// Mostly non-ASCII text (2-, 3- and 4-byte sequences).
void BM_WsValidUtf8_Mixed(benchmark::State& state) {
  std::string s;
  while (s.size() < (64u << 10)) s += "héllo wörld — 日本語のテキスト 🎉 ";
  for (auto _ : state) {
    bool ok = sb::valid_utf8(s);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_WsValidUtf8_Mixed);

// make_text_wire: the shared frame (header + payload) every outgoing packet becomes.
void BM_MakeTextWire(benchmark::State& state) {
  const std::string text =
      state.range(0) == 0
          ? std::string(sb::bench::kChatEio)
          : sb::bench::concat("4", sb::bench::ascii_text(static_cast<size_t>(state.range(0))));
  for (auto _ : state) {
    auto w = sb::net::make_text_wire(text);
    benchmark::DoNotOptimize(w.get());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_MakeTextWire)->Arg(0)->Arg(64 << 10);

}  // namespace
