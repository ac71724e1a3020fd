#include "protocol/websocket_frame.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocol/utf8.hpp"

using namespace std::string_literals;
using sb::ws::FrameHeader;
using sb::ws::Opcode;
using sb::ws::ParseResult;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kMax = 1'000'000;

ParseResult parse(const Bytes& b, FrameHeader& h, uint64_t max = kMax) {
  return sb::ws::parse_header(b.data(), b.size(), max, h);
}

ParseResult parse(const Bytes& b, uint64_t max = kMax) {
  FrameHeader h;
  return parse(b, h, max);
}

// A masked client frame, as a browser would send it.
Bytes client_frame(uint8_t b0, std::string_view payload, const uint8_t mask[4]) {
  Bytes out{b0};
  const uint64_t n = payload.size();
  if (n <= 125) {
    out.push_back(static_cast<uint8_t>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(0x80 | 126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x80 | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  out.insert(out.end(), mask, mask + 4);
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(payload[i]) ^ mask[i % 4]);
  return out;
}

std::string str(const uint8_t* p, size_t n) {
  return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

// ---- parse_header --------------------------------------------------------------------------

TEST(WsParse, Rfc6455MaskedHello) {
  // RFC 6455 5.7: a single-frame masked text message containing "Hello".
  Bytes frame{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  FrameHeader h;
  ASSERT_EQ(parse(frame, h), ParseResult::Ok);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, Opcode::Text);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.payload_length, 5u);
  EXPECT_EQ(h.header_length, 6u);
  EXPECT_EQ(h.mask[0], 0x37);
  EXPECT_EQ(h.mask[3], 0x3d);
  sb::ws::unmask(frame.data() + h.header_length, 5, h.mask, 0);
  EXPECT_EQ(str(frame.data() + h.header_length, 5), "Hello");
}

TEST(WsParse, AllOpcodes) {
  const uint8_t mask[4] = {1, 2, 3, 4};
  for (Opcode op : {Opcode::Continuation, Opcode::Text, Opcode::Binary, Opcode::Close, Opcode::Ping,
                    Opcode::Pong}) {
    FrameHeader h;
    ASSERT_EQ(parse(client_frame(0x80 | static_cast<uint8_t>(op), "ab", mask), h), ParseResult::Ok);
    EXPECT_EQ(h.opcode, op);
  }
}

TEST(WsParse, FragmentedData) {
  const uint8_t mask[4] = {9, 9, 9, 9};
  FrameHeader h;
  ASSERT_EQ(parse(client_frame(0x01, "part", mask), h), ParseResult::Ok);
  EXPECT_FALSE(h.fin);
  EXPECT_EQ(h.opcode, Opcode::Text);
  ASSERT_EQ(parse(client_frame(0x80, "end", mask), h), ParseResult::Ok);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, Opcode::Continuation);
}

TEST(WsParse, SixteenBitLength) {
  const uint8_t mask[4] = {0xde, 0xad, 0xbe, 0xef};
  const std::string payload(300, 'x');
  Bytes frame = client_frame(0x82, payload, mask);
  FrameHeader h;
  ASSERT_EQ(parse(frame, h), ParseResult::Ok);
  EXPECT_EQ(h.opcode, Opcode::Binary);
  EXPECT_EQ(h.payload_length, 300u);
  EXPECT_EQ(h.header_length, 8u);
  sb::ws::unmask(frame.data() + 8, 300, h.mask, 0);
  EXPECT_EQ(str(frame.data() + 8, 300), payload);

  // Boundaries: 126 is the smallest, 65535 the largest 16-bit length.
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0x00, 0x7E, 1, 2, 3, 4}, h), ParseResult::Ok);
  EXPECT_EQ(h.payload_length, 126u);
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0xFF, 0xFF, 1, 2, 3, 4}, h), ParseResult::Ok);
  EXPECT_EQ(h.payload_length, 65535u);
}

TEST(WsParse, SixtyFourBitLength) {
  const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
  const std::string payload(70000, 'y');
  Bytes frame = client_frame(0x82, payload, mask);
  FrameHeader h;
  ASSERT_EQ(parse(frame, h), ParseResult::Ok);
  EXPECT_EQ(h.payload_length, 70000u);
  EXPECT_EQ(h.header_length, 14u);
  sb::ws::unmask(frame.data() + 14, 70000, h.mask, 0);
  EXPECT_EQ(str(frame.data() + 14, 70000), payload);

  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}, h), ParseResult::Ok);
  EXPECT_EQ(h.payload_length, 65536u);
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}, h,
                  UINT64_MAX),
            ParseResult::Ok);
  EXPECT_EQ(h.payload_length, 0x7FFFFFFFFFFFFFFFu);
}

TEST(WsParse, NeedMore) {
  EXPECT_EQ(parse(Bytes{}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0x85}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0x85, 1, 2, 3}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0x85, 1, 2, 3, 4}), ParseResult::Ok);  // payload not needed
  EXPECT_EQ(parse(Bytes{0x81, 0xFE}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0xFE, 0x01}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0xFE, 0x01, 0x00, 1, 2, 3}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0xFF, 0, 0, 0, 0, 0, 1, 0}), ParseResult::NeedMore);
  EXPECT_EQ(parse(Bytes{0x81, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3}), ParseResult::NeedMore);

  // Every strict prefix of a valid header needs more.
  const uint8_t mask[4] = {5, 6, 7, 8};
  for (size_t len : {5u, 200u, 70000u}) {
    Bytes frame = client_frame(0x82, std::string(len, 'z'), mask);
    FrameHeader h;
    ASSERT_EQ(parse(frame, h), ParseResult::Ok);
    for (size_t n = 0; n < h.header_length; ++n) {
      FrameHeader partial;
      EXPECT_EQ(sb::ws::parse_header(frame.data(), n, kMax, partial), ParseResult::NeedMore)
          << len << " " << n;
    }
  }
}

TEST(WsParse, ReservedBits) {
  EXPECT_EQ(parse(Bytes{0xC1, 0x80, 1, 2, 3, 4}), ParseResult::ReservedBits);  // RSV1
  EXPECT_EQ(parse(Bytes{0xA1, 0x80, 1, 2, 3, 4}), ParseResult::ReservedBits);  // RSV2
  EXPECT_EQ(parse(Bytes{0x91, 0x80, 1, 2, 3, 4}), ParseResult::ReservedBits);  // RSV3
  EXPECT_EQ(parse(Bytes{0x71, 0x80}), ParseResult::ReservedBits);
}

TEST(WsParse, BadOpcode) {
  for (uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    EXPECT_EQ(parse(Bytes{static_cast<uint8_t>(0x80 | op), 0x80, 1, 2, 3, 4}),
              ParseResult::BadOpcode)
        << int{op};
  }
}

TEST(WsParse, ControlFrames) {
  FrameHeader h;
  EXPECT_EQ(parse(Bytes{0x89, 0xFD, 1, 2, 3, 4}, h), ParseResult::Ok);  // ping, 125 bytes
  EXPECT_EQ(h.payload_length, 125u);
  EXPECT_EQ(parse(Bytes{0x89, 0xFE, 0x00, 0x7E, 1, 2, 3, 4}), ParseResult::ControlTooLong);
  EXPECT_EQ(parse(Bytes{0x88, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}),
            ParseResult::ControlTooLong);
  EXPECT_EQ(parse(Bytes{0x8A, 0xFE}), ParseResult::ControlTooLong);  // known from 2 bytes
  EXPECT_EQ(parse(Bytes{0x09, 0x80, 1, 2, 3, 4}), ParseResult::ControlFragmented);
  EXPECT_EQ(parse(Bytes{0x08, 0x82, 1, 2, 3, 4}), ParseResult::ControlFragmented);
  EXPECT_EQ(parse(Bytes{0x0A, 0x80}), ParseResult::ControlFragmented);
}

TEST(WsParse, NotMasked) {
  EXPECT_EQ(parse(Bytes{0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}), ParseResult::NotMasked);
  EXPECT_EQ(parse(Bytes{0x81, 0x00}), ParseResult::NotMasked);
  EXPECT_EQ(parse(Bytes{0x82, 0x7E, 0x01, 0x00}), ParseResult::NotMasked);
}

TEST(WsParse, BadLength) {
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0x00, 0x7D, 1, 2, 3, 4}), ParseResult::BadLength);  // 125
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0x00, 0x00, 1, 2, 3, 4}), ParseResult::BadLength);
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4}),
            ParseResult::BadLength);  // 65535 in 64 bits
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4}), ParseResult::BadLength);
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, UINT64_MAX),
            ParseResult::BadLength);  // top bit set
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}), ParseResult::BadLength);
}

TEST(WsParse, TooLargeFromHeaderAlone) {
  // 16-bit length above the limit: reported with only the length bytes present.
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0x01, 0x00}, 255), ParseResult::TooLarge);
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4}, 255), ParseResult::TooLarge);
  EXPECT_EQ(parse(Bytes{0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4}, 256), ParseResult::Ok);
  // 64-bit: a 4 GiB claim without a single payload byte.
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0}), ParseResult::TooLarge);
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}),
            ParseResult::TooLarge);
  // 7-bit length.
  EXPECT_EQ(parse(Bytes{0x81, 0x85}, 4), ParseResult::TooLarge);
  EXPECT_EQ(parse(Bytes{0x81, 0x85, 1, 2, 3, 4}, 5), ParseResult::Ok);
  EXPECT_EQ(parse(Bytes{0x81, 0x80, 1, 2, 3, 4}, 0), ParseResult::Ok);
  // Exactly the engine.io default limit is allowed; one more is not.
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x40, 1, 2, 3, 4}), ParseResult::Ok);
  EXPECT_EQ(parse(Bytes{0x82, 0xFF, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x41}), ParseResult::TooLarge);
}

// ---- unmask --------------------------------------------------------------------------------

TEST(WsUnmask, MatchesBytewiseAtEveryOffsetAndLength) {
  const uint8_t mask[4] = {0xA1, 0xB2, 0xC3, 0xD4};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t len = 0; len < 40; ++len) {
      for (size_t misalign = 0; misalign < 3; ++misalign) {
        Bytes buf(len + misalign);
        for (auto& b : buf) b = static_cast<uint8_t>(byte(rng));
        Bytes expect = buf;
        for (size_t i = 0; i < len; ++i) expect[misalign + i] ^= mask[(offset + i) % 4];
        sb::ws::unmask(buf.data() + misalign, len, mask, offset);
        ASSERT_EQ(buf, expect) << offset << " " << len << " " << misalign;
      }
    }
  }
}

TEST(WsUnmask, ChunkedEqualsWhole) {
  // A payload unmasked in arbitrary chunks (as bytes arrive) equals one pass.
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> chunk(1, 23);
  Bytes data(1000);
  for (auto& b : data) b = static_cast<uint8_t>(byte(rng));
  Bytes whole = data;
  sb::ws::unmask(whole.data(), whole.size(), mask, 0);
  Bytes parts = data;
  for (size_t pos = 0; pos < parts.size();) {
    const size_t n = std::min(chunk(rng), parts.size() - pos);
    sb::ws::unmask(parts.data() + pos, n, mask, pos);
    pos += n;
  }
  EXPECT_EQ(parts, whole);
  sb::ws::unmask(whole.data(), whole.size(), mask, 0);  // involution
  EXPECT_EQ(whole, data);
  sb::ws::unmask(nullptr, 0, mask, 3);  // no-op
}

TEST(WsUnmask, HugeOffset) {
  const uint8_t mask[4] = {1, 2, 4, 8};
  uint8_t b[2] = {0, 0};
  sb::ws::unmask(b, 2, mask, (uint64_t{1} << 40) + 3);
  EXPECT_EQ(b[0], 8);
  EXPECT_EQ(b[1], 1);
}

// ---- writing -------------------------------------------------------------------------------

TEST(WsWrite, HeaderLengths) {
  uint8_t h[10];
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Text, 0), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 0x00);
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Text, 125), 2u);
  EXPECT_EQ(h[1], 125);
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Binary, 126), 4u);
  EXPECT_EQ(h[0], 0x82);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ(h[2], 0x00);
  EXPECT_EQ(h[3], 0x7E);
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Binary, 65535), 4u);
  EXPECT_EQ(h[2], 0xFF);
  EXPECT_EQ(h[3], 0xFF);
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Binary, 65536), 10u);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(Bytes(h + 2, h + 10), (Bytes{0, 0, 0, 0, 0, 1, 0, 0}));
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Binary, 0x0102030405060708), 10u);
  EXPECT_EQ(Bytes(h + 2, h + 10), (Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Continuation, 3, false), 2u);
  EXPECT_EQ(h[0], 0x00);
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Close, 2), 2u);
  EXPECT_EQ(h[0], 0x88);
  ASSERT_EQ(sb::ws::write_header(h, Opcode::Pong, 0), 2u);
  EXPECT_EQ(h[0], 0x8A);
}

TEST(WsWrite, AppendFrame) {
  std::string out = "x";
  sb::ws::append_frame(out, Opcode::Text, "Hello");
  EXPECT_EQ(out, "x\x81\x05Hello"s);

  out.clear();
  const std::string big(300, 'b');
  sb::ws::append_frame(out, Opcode::Binary, big);
  EXPECT_EQ(out.substr(0, 4), "\x82\x7e\x01\x2c"s);
  EXPECT_EQ(out.substr(4), big);

  out.clear();
  const std::string huge(70000, 'h');
  sb::ws::append_frame(out, Opcode::Binary, huge);
  EXPECT_EQ(out.size(), 10u + 70000u);
  EXPECT_EQ(out.substr(0, 10), "\x82\x7f\0\0\0\0\0\x01\x11\x70"s);
}

TEST(WsWrite, ServerFrameParsesBackOnceMasked) {
  // Our writer's header with the MASK bit and a mask added is a valid client header.
  for (uint64_t len : {0ull, 1ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 33}) {
    uint8_t h[14];
    const size_t n = sb::ws::write_header(h, Opcode::Binary, len);
    h[1] |= 0x80;
    h[n] = 1, h[n + 1] = 2, h[n + 2] = 3, h[n + 3] = 4;
    FrameHeader fh;
    ASSERT_EQ(sb::ws::parse_header(h, n + 4, UINT64_MAX, fh), ParseResult::Ok) << len;
    EXPECT_EQ(fh.payload_length, len);
    EXPECT_EQ(fh.header_length, n + 4);
  }
}

TEST(WsWrite, ClosePayload) {
  EXPECT_EQ(sb::ws::close_payload(sb::ws::kCloseNormal, ""), "\x03\xe8"s);
  EXPECT_EQ(sb::ws::close_payload(sb::ws::kCloseTooBig, "too big"), "\x03\xf1too big"s);
  EXPECT_EQ(sb::ws::close_payload(sb::ws::kCloseProtocolError, "x"),
            "\x03\xea"
            "x"s);
  EXPECT_EQ(sb::ws::close_payload(4000, ""), "\x0f\xa0"s);
}

// ---- handshake -----------------------------------------------------------------------------

TEST(WsAccept, Rfc6455Vector) {
  EXPECT_EQ(sb::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(sb::ws::accept_key("").size(), 28u);
  EXPECT_NE(sb::ws::accept_key("x3JJHMbDL1EzLkh9GBhXDw=="),
            sb::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="));
  // The widely quoted second example (e.g. Wikipedia's WebSocket article).
  EXPECT_EQ(sb::ws::accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

// ---- UTF-8 ---------------------------------------------------------------------------------

TEST(WsUtf8, Valid) {
  for (const std::string& s : {
           ""s,
           "hello"s,
           "héllo"s,
           "✓"s,
           "😀"s,
           "\0"s,
           "\x7f"s,
           "\xc2\x80"s,          // U+0080, smallest 2-byte
           "\xdf\xbf"s,          // U+07FF
           "\xe0\xa0\x80"s,      // U+0800, smallest 3-byte
           "\xed\x9f\xbf"s,      // U+D7FF, just below surrogates
           "\xee\x80\x80"s,      // U+E000, just above surrogates
           "\xef\xbf\xbf"s,      // U+FFFF
           "\xef\xbb\xbf"s,      // BOM
           "\xf0\x90\x80\x80"s,  // U+10000, smallest 4-byte
           "\xf4\x8f\xbf\xbf"s,  // U+10FFFF, largest
           "κόσμε"s,
           "abcdefghijklmnopqrstuvwxyz0123456789 and then é"s,
       }) {
    EXPECT_TRUE(sb::valid_utf8(s)) << s;
  }
}

TEST(WsUtf8, Invalid) {
  for (const std::string& s : {
           "\x80"s,                      // lone continuation
           "\xbf"s,                      //
           "a\x80"s,                     //
           "\xc0\x80"s,                  // overlong NUL
           "\xc1\xbf"s,                  // overlong
           "\xe0\x80\x80"s,              // overlong 3-byte
           "\xe0\x9f\xbf"s,              // overlong U+07FF
           "\xf0\x80\x80\x80"s,          // overlong 4-byte
           "\xf0\x8f\xbf\xbf"s,          // overlong U+FFFF
           "\xed\xa0\x80"s,              // U+D800 surrogate
           "\xed\xbf\xbf"s,              // U+DFFF surrogate
           "\xed\xa0\x80\xed\xb0\x80"s,  // surrogate pair (CESU-8)
           "\xf4\x90\x80\x80"s,          // U+110000
           "\xf5\x80\x80\x80"s,          // F5 lead
           "\xf8\x88\x80\x80\x80"s,      // 5-byte form
           "\xfe"s,
           "\xff"s,              //
           "\xc2"s,              // truncated 2-byte
           "\xe2\x9c"s,          // truncated 3-byte
           "\xf0\x9f\x98"s,      // truncated 4-byte
           "abc\xf0\x9f\x98"s,   // truncated at end
           "\xc2\x41"s,          // bad continuation
           "\xe2\x41\x93"s,      //
           "\xe2\x9c\x41"s,      //
           "\xf0\x9f\x41\x80"s,  //
           "\xf0\x9f\x98\x41"s,  //
           "12345678\x80"s,      // after the 8-byte ASCII fast path
           "1234567\xc3"s,       // truncated straddling the fast path
       }) {
    EXPECT_FALSE(sb::valid_utf8(s)) << testing::PrintToString(s);
  }
}

TEST(WsUtf8, AgreesWithReferenceDecoder) {
  // Straightforward code-point decoder as the oracle.
  auto oracle = [](const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
      const auto c = static_cast<uint8_t>(s[i]);
      size_t len;
      uint32_t cp;
      if (c < 0x80)
        len = 1, cp = c;
      else if ((c & 0xE0) == 0xC0)
        len = 2, cp = c & 0x1F;
      else if ((c & 0xF0) == 0xE0)
        len = 3, cp = c & 0x0F;
      else if ((c & 0xF8) == 0xF0)
        len = 4, cp = c & 0x07;
      else
        return false;
      if (s.size() - i < len) return false;
      for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<uint8_t>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      i += len;
    }
    return true;
  };
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> len(0, 24), pick(0, 9), byte(0, 255);
  const uint8_t interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::uniform_int_distribution<size_t> ii(0, sizeof interesting - 1);
  size_t valid = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s(static_cast<size_t>(len(rng)), '\0');
    for (auto& c : s) {
      c = static_cast<char>(pick(rng) < 7 ? interesting[ii(rng)] : byte(rng));
    }
    const bool want = oracle(s);
    valid += want;
    ASSERT_EQ(sb::valid_utf8(s), want) << testing::PrintToString(s);
  }
  EXPECT_GT(valid, 100u);  // the generator does reach valid multi-byte input
}

// ---- randomized ----------------------------------------------------------------------------

TEST(WsFuzz, RandomHeadersNeverCrash) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 16);
  std::uniform_int_distribution<uint64_t> max_dist(0, 1 << 20);
  for (int i = 0; i < 50000; ++i) {
    Bytes b(static_cast<size_t>(len(rng)));
    for (auto& x : b) x = static_cast<uint8_t>(byte(rng));
    FrameHeader h;
    const uint64_t max = max_dist(rng);
    if (parse(b, h, max) == ParseResult::Ok) {
      ASSERT_LE(h.header_length, b.size());
      ASSERT_LE(h.payload_length, max);
      ASSERT_TRUE(h.masked);
    }
  }
}

TEST(WsFuzz, ClientFrameRoundTrip) {
  std::mt19937 rng(6);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> len(0, 70000);
  for (int i = 0; i < 50; ++i) {
    std::string payload(i < 25 ? len(rng) % 300 : len(rng), '\0');
    for (auto& c : payload) c = static_cast<char>(byte(rng));
    const uint8_t mask[4] = {static_cast<uint8_t>(byte(rng)), static_cast<uint8_t>(byte(rng)),
                             static_cast<uint8_t>(byte(rng)), static_cast<uint8_t>(byte(rng))};
    Bytes frame = client_frame(0x82, payload, mask);
    FrameHeader h;
    ASSERT_EQ(parse(frame, h, 100000), ParseResult::Ok);
    ASSERT_EQ(h.header_length + h.payload_length, frame.size());
    sb::ws::unmask(frame.data() + h.header_length, payload.size(), h.mask, 0);
    ASSERT_EQ(str(frame.data() + h.header_length, payload.size()), payload);
  }
}

namespace {

using Kind = sb::ws::MessageAssembler::Event::Kind;

TEST(MessageAssembler, JoinsFragmentsAndPassesControlFramesBetween) {
  sb::ws::MessageAssembler a(100);
  EXPECT_EQ(a.on_frame(Opcode::Text, false, "he").kind, Kind::None);
  auto ping = a.on_frame(Opcode::Ping, true, "p");
  EXPECT_EQ(ping.kind, Kind::Ping);
  EXPECT_EQ(ping.data, "p");
  EXPECT_EQ(a.on_frame(Opcode::Continuation, false, "l").kind, Kind::None);
  auto msg = a.on_frame(Opcode::Continuation, true, "lo");
  EXPECT_EQ(msg.kind, Kind::Message);
  EXPECT_FALSE(msg.binary);
  EXPECT_EQ(msg.data, "hello");
  auto bin = a.on_frame(Opcode::Binary, true, "\xff");
  EXPECT_EQ(bin.kind, Kind::Message);
  EXPECT_TRUE(bin.binary);
}

TEST(MessageAssembler, ProtocolErrorsCarryTheirCloseCode) {
  sb::ws::MessageAssembler a(4);
  EXPECT_EQ(a.on_frame(Opcode::Continuation, true, "x").code, sb::ws::kCloseProtocolError);
  EXPECT_EQ(a.on_frame(Opcode::Text, true, "\xc0\xaf").code, sb::ws::kCloseInvalidData);
  sb::ws::MessageAssembler b(4);
  b.on_frame(Opcode::Text, false, "abc");
  EXPECT_EQ(b.on_frame(Opcode::Text, true, "x").code, sb::ws::kCloseProtocolError);
  sb::ws::MessageAssembler c(4);
  c.on_frame(Opcode::Binary, false, "abc");
  EXPECT_EQ(c.on_frame(Opcode::Continuation, true, "de").code, sb::ws::kCloseTooBig);
  // UTF-8 split across fragments is fine; checked once the message is whole.
  sb::ws::MessageAssembler d(16);
  d.on_frame(Opcode::Text, false, "\xe2\x82");
  EXPECT_EQ(d.on_frame(Opcode::Continuation, true, "\xac").kind, Kind::Message);
}

TEST(MessageAssembler, CloseAnswersNormalUnlessMalformed) {
  sb::ws::MessageAssembler a(16);
  EXPECT_EQ(a.on_frame(Opcode::Close, true, "").code, sb::ws::kCloseNormal);
  EXPECT_EQ(a.on_frame(Opcode::Close, true, "\x0f\xa0").code, sb::ws::kCloseNormal);  // 4000
  EXPECT_EQ(a.on_frame(Opcode::Close, true, "\x03").code, sb::ws::kCloseProtocolError);
  EXPECT_EQ(a.on_frame(Opcode::Close, true, "\x03\xea").code, sb::ws::kCloseProtocolError);
}

}  // namespace
