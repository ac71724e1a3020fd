#pragma once
// Shared inputs for the microbenchmarks: realistic Socket.IO / Engine.IO traffic.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace sb::bench {

// The Socket.IO part of a typical chat message (what follows the Engine.IO '4').
inline constexpr std::string_view kChatSio =
    R"(2["chat",{"room":"r1","text":"hello world","ts":1700000000000}])";
// The same message as an Engine.IO packet (a WebSocket text frame's payload).
inline constexpr std::string_view kChatEio =
    R"(42["chat",{"room":"r1","text":"hello world","ts":1700000000000}])";

// A larger, nested event (~1.3 KB): a message with an author, attachments
// metadata, reactions and a few doubles, the kind of payload an app forwards.
inline std::string nested_event_json() {
  std::string s =
      R"(["message",{"id":"01HF8Z6Q3W9K2M4N5P6R7S8T9V","room":"general","ts":1700000000123,)"
      R"("author":{"id":"u_48213","name":"Ada Lovelace","roles":["admin","moderator"],)"
      R"("avatar":"https://cdn.example.com/a/48213.png","online":true,"score":4.75},)"
      R"("text":"Shipping the new fan-out path today \u2014 numbers look good: p99 down 38%.",)"
      R"("mentions":["u_1","u_2","u_3"],"geo":{"lat":48.858844,"lon":2.294351,"acc":12.5},)"
      R"("reactions":[)";
  for (int i = 0; i < 12; ++i) {
    if (i) s += ',';
    s += R"({"emoji":"+1","count":)" + std::to_string(i * 7 + 1) + R"(,"users":["u_)" +
         std::to_string(1000 + i) + R"(","u_)" + std::to_string(2000 + i) + R"("]})";
  }
  s +=
      R"(],"meta":{"edited":false,"thread":null,"ratio":0.3333333333333333,"tags":[1,2,3,5,8,13]}}])";
  return s;
}

// Deterministic pseudo-random bytes (binary attachments, masking input).
inline std::string random_bytes(size_t n, uint32_t seed = 42) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// Printable ASCII text of `n` bytes (large text messages).
inline std::string ascii_text(size_t n) {
  static constexpr std::string_view kWords = "lorem ipsum dolor sit amet consectetur adipiscing ";
  std::string s;
  s.reserve(n);
  while (s.size() < n) s += kWords.substr(0, std::min(kWords.size(), n - s.size()));
  return s;
}

// prefix + body. (Not `"x" + std::string(...)`: GCC 12 flags that with a bogus -Wrestrict.)
inline std::string concat(std::string_view prefix, std::string_view body) {
  std::string s;
  s.reserve(prefix.size() + body.size());
  s.append(prefix);
  s.append(body);
  return s;
}

}  // namespace sb::bench
