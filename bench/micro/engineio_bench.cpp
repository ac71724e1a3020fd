// Engine.IO v4 codec: single packets (WebSocket text frames, polling records)
// and HTTP long-polling payloads (records joined by '\x1e').
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "inputs.hpp"
#include "protocol/engineio_packet.hpp"

namespace {

using sb::eio::Packet;
using sb::eio::PacketType;

// EioSession::handle_packet_text decodes into a fresh Packet per message; so do we.
void decode_one(benchmark::State& state, std::string_view text) {
  for (auto _ : state) {
    Packet p;
    auto err = sb::eio::decode_packet(text, p);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(p.data.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}

void BM_EioDecode_Pong(benchmark::State& state) {
  decode_one(state, "3");
}
BENCHMARK(BM_EioDecode_Pong);

void BM_EioDecode_ChatMessage(benchmark::State& state) {
  decode_one(state, sb::bench::kChatEio);
}
BENCHMARK(BM_EioDecode_ChatMessage);

void BM_EioDecode_TextMessage(benchmark::State& state) {
  const std::string text =
      sb::bench::concat("4", sb::bench::ascii_text(static_cast<size_t>(state.range(0))));
  decode_one(state, text);
}
BENCHMARK(BM_EioDecode_TextMessage)->Arg(1 << 10)->Arg(64 << 10);

// "b<base64>": a binary message over polling.
void BM_EioDecode_Base64Binary(benchmark::State& state) {
  const std::string text = sb::bench::concat(
      "b", sb::eio::base64_encode(sb::bench::random_bytes(static_cast<size_t>(state.range(0)))));
  decode_one(state, text);
}
BENCHMARK(BM_EioDecode_Base64Binary)->Arg(1 << 10)->Arg(64 << 10);

// A polling POST body, as EioSession::on_poll_post decodes it.
std::string chat_payload(size_t packets) {
  std::string body;
  for (size_t i = 0; i < packets; ++i) {
    if (i) body += sb::eio::kRecordSeparator;
    body += sb::bench::kChatEio;
  }
  return body;
}

void BM_EioDecodePayload_Chat(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::string body = chat_payload(n);
  for (auto _ : state) {
    std::vector<Packet> packets;
    auto err = sb::eio::decode_payload(body, packets);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(packets.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_EioDecodePayload_Chat)->Arg(1)->Arg(10)->Arg(100);

// A payload mixing text packets and a base64 binary attachment (a BINARY_EVENT over polling).
void BM_EioDecodePayload_WithBinary(benchmark::State& state) {
  std::string body = R"(451-["upload",{"name":"a.png","data":{"_placeholder":true,"num":0}}])";
  body += sb::eio::kRecordSeparator;
  sb::eio::append_binary_packet(body, sb::bench::random_bytes(16 << 10));
  for (auto _ : state) {
    std::vector<Packet> packets;
    auto err = sb::eio::decode_payload(body, packets);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(packets.data());
  }
  state.SetItemsProcessed(state.iterations() * 2);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_EioDecodePayload_WithBinary);

// ---- encode ------------------------------------------------------------------

void BM_EioEncode_ChatMessage(benchmark::State& state) {
  const std::string_view data = sb::bench::kChatEio.substr(1);
  std::string out;
  for (auto _ : state) {
    out.clear();
    sb::eio::append_packet(out, PacketType::Message, data);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(data.size() + 1));
}
BENCHMARK(BM_EioEncode_ChatMessage);

// "b" + base64: how a binary message goes out over polling (EioSession::flush_poll).
void BM_EioEncode_Base64Binary(benchmark::State& state) {
  const std::string bytes = sb::bench::random_bytes(static_cast<size_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    sb::eio::append_binary_packet(out, bytes);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_EioEncode_Base64Binary)->Arg(1 << 10)->Arg(64 << 10);

// A polling GET answer with `n` chat messages, built with append_payload_packet.
void BM_EioEncodePayload_Chat(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<Packet> packets(n);
  for (auto& p : packets) {
    p.type = PacketType::Message;
    p.data = std::string(sb::bench::kChatEio.substr(1));
  }
  for (auto _ : state) {
    std::string out;
    for (const auto& p : packets) sb::eio::append_payload_packet(out, p);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(n * sb::bench::kChatEio.size()));
}
BENCHMARK(BM_EioEncodePayload_Chat)->Arg(10)->Arg(100);

}  // namespace
