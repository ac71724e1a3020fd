#pragma once
// A short identifier (Engine.IO session ids, Socket.IO socket ids: 20
// characters) kept inside its owner. std::string keeps at most 15 characters
// inline, so each such id would otherwise cost a heap block per connection.
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace sb::net {

class InlineId {
 public:
  // Our ids are 20 characters; with the length byte the whole is 24 bytes.
  static constexpr size_t kCapacity = 23;

  InlineId() = default;
  // Ids longer than kCapacity are the caller's bug: fits() tells first.
  explicit InlineId(std::string_view s) { assign(s); }
  static bool fits(std::string_view s) { return s.size() <= kCapacity; }
  void assign(std::string_view s) {
    len_ = static_cast<uint8_t>(s.size() <= kCapacity ? s.size() : kCapacity);
    std::memcpy(data_, s.data(), len_);
  }

  std::string_view view() const { return {data_, len_}; }
  operator std::string_view() const { return view(); }
  std::string str() const { return std::string(view()); }
  bool empty() const { return len_ == 0; }

 private:
  char data_[kCapacity] = {};
  uint8_t len_ = 0;
};

// Hashes ids for maps with one entry per connection. Unlike std::hash, a
// hasher of our own (cheap and noexcept) makes libstdc++ recompute hashes on
// rehash instead of keeping one in every node: 8 bytes less per entry.
struct IdHash {
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace sb::net
