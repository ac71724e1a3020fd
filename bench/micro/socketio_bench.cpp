// Socket.IO v5 codec: decode (validation + JSON parse into boost::json), encode,
// and JSON serialization (append_json, the JS-compatible number formatting).
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <string>

#include "inputs.hpp"
#include "protocol/socketio_packet.hpp"

namespace {

namespace json = boost::json;
using sb::sio::DecodeError;
using sb::sio::Packet;
using sb::sio::PacketType;

// SioClient::on_message decodes into a fresh Packet with default limits; so do we.
void decode_loop(benchmark::State& state, std::string_view text, bool check_placeholders) {
  const sb::sio::Limits limits;
  for (auto _ : state) {
    Packet p;
    auto err = sb::sio::decode(text, p, limits);
    if (err != DecodeError::None) {
      state.SkipWithError(sb::sio::to_string(err));
      break;
    }
    if (check_placeholders && !sb::sio::placeholders_valid(p.data, p.attachments)) {
      state.SkipWithError("placeholders");
      break;
    }
    benchmark::DoNotOptimize(p.data);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

void BM_SioDecode_SmallEvent(benchmark::State& state) {
  decode_loop(state, sb::bench::kChatSio, false);
}
BENCHMARK(BM_SioDecode_SmallEvent);

// Namespace + ack id: `2/chat,17["msg",...]`.
void BM_SioDecode_NspAckEvent(benchmark::State& state) {
  decode_loop(state, R"(2/chat,17["msg",{"text":"hello world","ts":1700000000000}])", false);
}
BENCHMARK(BM_SioDecode_NspAckEvent);

void BM_SioDecode_NestedEvent(benchmark::State& state) {
  const std::string text = sb::bench::concat("2", sb::bench::nested_event_json());
  decode_loop(state, text, false);
}
BENCHMARK(BM_SioDecode_NestedEvent);

// BINARY_EVENT with two placeholders, decoded and checked as SioClient::on_message does
// (the attachment bytes come as separate frames and are not part of this).
void BM_SioDecode_BinaryEvent(benchmark::State& state) {
  decode_loop(state,
              R"(52-["upload",{"name":"a.png","data":{"_placeholder":true,"num":0},)"
              R"("thumb":{"_placeholder":true,"num":1},"size":16384}])",
              true);
}
BENCHMARK(BM_SioDecode_BinaryEvent);

// Doubles go through std::from_chars again (PreciseHandler); this stresses that path.
void BM_SioDecode_Doubles(benchmark::State& state) {
  std::string text = R"(2["samples",[)";
  for (int i = 0; i < 32; ++i) {
    if (i) text += ',';
    text += json::serialize(json::value(1000.0 / (i + 3) + i * 0.001));
  }
  text += "]]";
  decode_loop(state, text, false);
}
BENCHMARK(BM_SioDecode_Doubles);

// ---- encode ------------------------------------------------------------------

Packet decoded(std::string_view text) {
  Packet p;
  if (sb::sio::decode(text, p) != DecodeError::None) std::abort();
  return p;
}

void encode_loop(benchmark::State& state, const Packet& p) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    sb::sio::encode(p, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}

void BM_SioEncode_SmallEvent(benchmark::State& state) {
  encode_loop(state, decoded(sb::bench::kChatSio));
}
BENCHMARK(BM_SioEncode_SmallEvent);

void BM_SioEncode_NestedEvent(benchmark::State& state) {
  encode_loop(state, decoded(sb::bench::concat("2", sb::bench::nested_event_json())));
}
BENCHMARK(BM_SioEncode_NestedEvent);

// append_json on numbers alone: integers, and doubles laid out like Number.prototype.toString.
void BM_SioJson_Integers(benchmark::State& state) {
  json::array a;
  for (int64_t i = 0; i < 32; ++i) a.emplace_back(1700000000000 + i * 7919);
  const json::value v(std::move(a));
  std::string out;
  for (auto _ : state) {
    out.clear();
    sb::sio::append_json(out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_SioJson_Integers);

void BM_SioJson_Doubles(benchmark::State& state) {
  json::array a;
  for (int i = 0; i < 32; ++i) a.emplace_back(1000.0 / (i + 3) + i * 0.001);
  const json::value v(std::move(a));
  std::string out;
  for (auto _ : state) {
    out.clear();
    sb::sio::append_json(out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_SioJson_Doubles);

// Strings with characters to escape (quotes, newlines, a control char).
void BM_SioJson_EscapedStrings(benchmark::State& state) {
  json::array a;
  for (int i = 0; i < 16; ++i) a.emplace_back("line \"" + std::to_string(i) + "\"\n\tend\x01");
  const json::value v(std::move(a));
  std::string out;
  for (auto _ : state) {
    out.clear();
    sb::sio::append_json(out, v);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_SioJson_EscapedStrings);

}  // namespace
