#include "protocol/engineio_packet.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace std::string_literals;
using sb::eio::DecodeError;
using sb::eio::Packet;
using sb::eio::PacketType;

namespace {

Packet decode_ok(std::string_view text) {
  Packet p;
  EXPECT_EQ(sb::eio::decode_packet(text, p), DecodeError::None) << text;
  return p;
}

std::string random_bytes(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len_dist(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len_dist(rng), '\0');
  for (auto& c : s) c = static_cast<char>(byte(rng));
  return s;
}

}  // namespace

TEST(EioPacket, DecodesEveryType) {
  const char* names[] = {"0", "1", "2", "3", "4", "5", "6"};
  for (int t = 0; t <= 6; ++t) {
    Packet p = decode_ok(names[t]);
    EXPECT_EQ(p.type, static_cast<PacketType>(t));
    EXPECT_FALSE(p.binary);
    EXPECT_EQ(p.data, "");
  }
}

TEST(EioPacket, DecodesProbeAndMessage) {
  Packet p = decode_ok("2probe");
  EXPECT_EQ(p.type, PacketType::Ping);
  EXPECT_EQ(p.data, "probe");

  p = decode_ok("3probe");
  EXPECT_EQ(p.type, PacketType::Pong);
  EXPECT_EQ(p.data, "probe");

  p = decode_ok("4hello");
  EXPECT_EQ(p.type, PacketType::Message);
  EXPECT_FALSE(p.binary);
  EXPECT_EQ(p.data, "hello");

  p = decode_ok("0{\"sid\":\"abc\"}");
  EXPECT_EQ(p.type, PacketType::Open);
  EXPECT_EQ(p.data, "{\"sid\":\"abc\"}");
}

TEST(EioPacket, MessageDataKeepsUtf8AndDigits) {
  Packet p = decode_ok("42[\"héllo ✓\"]");
  EXPECT_EQ(p.type, PacketType::Message);
  EXPECT_EQ(p.data, "2[\"héllo ✓\"]");
}

TEST(EioPacket, DecodesBinaryBase64) {
  Packet p = decode_ok("bAQIDBA==");
  EXPECT_EQ(p.type, PacketType::Message);
  EXPECT_TRUE(p.binary);
  EXPECT_EQ(p.data, "\x01\x02\x03\x04"s);
}

TEST(EioPacket, DecodesEmptyBinary) {
  Packet p = decode_ok("b");
  EXPECT_TRUE(p.binary);
  EXPECT_EQ(p.data, "");
}

TEST(EioPacket, Errors) {
  Packet p;
  EXPECT_EQ(sb::eio::decode_packet("", p), DecodeError::Empty);
  EXPECT_EQ(sb::eio::decode_packet("7", p), DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_packet("9hello", p), DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_packet("abc", p), DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_packet("B", p), DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_packet(" 4", p), DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_packet("\x1e", p), DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_packet("bAQID", p), DecodeError::None);
  EXPECT_EQ(p.data, "\x01\x02\x03"s);
  EXPECT_EQ(sb::eio::decode_packet("bAQI", p), DecodeError::BadBase64);  // unpadded
  EXPECT_EQ(sb::eio::decode_packet("bAQIDBA", p), DecodeError::BadBase64);
  EXPECT_EQ(sb::eio::decode_packet("bAQIDBA=", p), DecodeError::BadBase64);
  EXPECT_EQ(sb::eio::decode_packet("b!!!!", p), DecodeError::BadBase64);
}

TEST(EioPacket, EncodesPackets) {
  std::string out;
  sb::eio::append_packet(out, PacketType::Pong, "probe");
  EXPECT_EQ(out, "3probe");
  out.clear();
  sb::eio::append_packet(out, PacketType::Noop, "");
  EXPECT_EQ(out, "6");
  out.clear();
  sb::eio::append_packet(out, PacketType::Open, "{}");
  EXPECT_EQ(out, "0{}");
  out = "x";
  sb::eio::append_binary_packet(out, "\x01\x02\x03\x04"s);
  EXPECT_EQ(out, "xbAQIDBA==");
}

TEST(EioBase64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, enc] : vectors) {
    EXPECT_EQ(sb::eio::base64_encode(plain), enc);
    std::string out;
    ASSERT_TRUE(sb::eio::base64_decode(enc, out)) << enc;
    EXPECT_EQ(out, plain);
  }
}

TEST(EioBase64, AllByteValuesAndAlphabet) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string enc = sb::eio::base64_encode(all);
  EXPECT_NE(enc.find('+'), std::string::npos);
  EXPECT_NE(enc.find('/'), std::string::npos);
  std::string out;
  ASSERT_TRUE(sb::eio::base64_decode(enc, out));
  EXPECT_EQ(out, all);
  // Padding bytes are not part of the output (EVP_DecodeBlock would keep them).
  ASSERT_TRUE(sb::eio::base64_decode("/w==", out));
  EXPECT_EQ(out, "\xff");
  ASSERT_TRUE(sb::eio::base64_decode("//8=", out));
  EXPECT_EQ(out, "\xff\xff");
}

TEST(EioBase64, RejectsInvalid) {
  std::string out;
  for (const char* bad : {"A", "AB", "ABC", "ABCDE", "AB=C", "A===", "====", "=AAA",
                          "AB==AB==", "AB=", "Zm9v\n", " Zm9v", "Zm9-", "Zm9_", "Zm 9", "Zg==="}) {
    EXPECT_FALSE(sb::eio::base64_decode(bad, out)) << bad;
  }
  EXPECT_FALSE(sb::eio::base64_decode("Zm\0v"s, out));
  EXPECT_FALSE(sb::eio::base64_decode("Zm\xc3\xa9v", out));
}

TEST(EioBase64, ToleratesNonZeroTrailingBits) {
  // Node's decoder ignores the unused low bits; so do we.
  std::string out;
  ASSERT_TRUE(sb::eio::base64_decode("Zh==", out));
  EXPECT_EQ(out, "f");
}

TEST(EioPayload, DecodesSpecExample) {
  std::vector<Packet> v;
  ASSERT_EQ(sb::eio::decode_payload("4hello\x1e"
                                    "2\x1e"
                                    "4world",
                                    v),
            DecodeError::None);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].type, PacketType::Message);
  EXPECT_EQ(v[0].data, "hello");
  EXPECT_EQ(v[1].type, PacketType::Ping);
  EXPECT_EQ(v[1].data, "");
  EXPECT_EQ(v[2].type, PacketType::Message);
  EXPECT_EQ(v[2].data, "world");
}

TEST(EioPayload, MixedTextAndBinary) {
  std::vector<Packet> v;
  ASSERT_EQ(sb::eio::decode_payload("451-[\"baz\",{\"_placeholder\":true,\"num\":0}]\x1e"
                                    "bAQIDBA==",
                                    v),
            DecodeError::None);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FALSE(v[0].binary);
  EXPECT_EQ(v[0].data, "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]");
  EXPECT_TRUE(v[1].binary);
  EXPECT_EQ(v[1].data, "\x01\x02\x03\x04"s);
}

TEST(EioPayload, SingleAndClearsOutput) {
  std::vector<Packet> v(5);
  ASSERT_EQ(sb::eio::decode_payload("1", v), DecodeError::None);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].type, PacketType::Close);
}

TEST(EioPayload, Errors) {
  std::vector<Packet> v;
  EXPECT_EQ(sb::eio::decode_payload("", v), DecodeError::Empty);
  EXPECT_EQ(sb::eio::decode_payload("4a\x1e", v), DecodeError::Empty);
  EXPECT_EQ(sb::eio::decode_payload("\x1e"
                                    "4a",
                                    v),
            DecodeError::Empty);
  EXPECT_EQ(sb::eio::decode_payload("4a\x1e\x1e"
                                    "4b",
                                    v),
            DecodeError::Empty);
  EXPECT_EQ(sb::eio::decode_payload("4a\x1e"
                                    "abc",
                                    v),
            DecodeError::UnknownType);
  EXPECT_EQ(sb::eio::decode_payload("4a\x1e"
                                    "b%%%%",
                                    v),
            DecodeError::BadBase64);
}

TEST(EioPayload, PacketLimit) {
  std::string body;
  for (int i = 0; i < 4; ++i)
    sb::eio::append_payload_packet(body, Packet{PacketType::Ping, false, ""});
  std::vector<Packet> v;
  EXPECT_EQ(sb::eio::decode_payload(body, v, 4), DecodeError::None);
  EXPECT_EQ(v.size(), 4u);
  EXPECT_EQ(sb::eio::decode_payload(body, v, 3), DecodeError::TooManyPackets);
  EXPECT_EQ(sb::eio::decode_payload(body, v, 1), DecodeError::TooManyPackets);

  std::string big;
  for (int i = 0; i < 1025; ++i)
    sb::eio::append_payload_packet(big, Packet{PacketType::Noop, false, ""});
  EXPECT_EQ(sb::eio::decode_payload(big, v), DecodeError::TooManyPackets);
}

TEST(EioPayload, EncodesWithSeparators) {
  std::string out;
  sb::eio::append_payload_packet(out, Packet{PacketType::Message, false, "hello"});
  EXPECT_EQ(out, "4hello");
  sb::eio::append_payload_packet(out, Packet{PacketType::Ping, false, ""});
  sb::eio::append_payload_packet(out, Packet{PacketType::Message, false, "world"});
  EXPECT_EQ(out,
            "4hello\x1e"
            "2\x1e"
            "4world");
  sb::eio::append_payload_packet(out, Packet{PacketType::Message, true, "\x01\x02\x03\x04"s});
  EXPECT_EQ(out,
            "4hello\x1e"
            "2\x1e"
            "4world\x1e"
            "bAQIDBA==");
}

TEST(EioFuzz, Base64RoundTrip) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 2000; ++i) {
    const std::string bytes = random_bytes(rng, 64);
    const std::string enc = sb::eio::base64_encode(bytes);
    EXPECT_EQ(enc.size() % 4, 0u);
    std::string dec;
    ASSERT_TRUE(sb::eio::base64_decode(enc, dec));
    ASSERT_EQ(dec, bytes);
  }
}

TEST(EioFuzz, PayloadRoundTrip) {
  std::mt19937 rng(777);
  std::uniform_int_distribution<int> count(1, 20), type(0, 6), coin(0, 3);
  std::uniform_int_distribution<int> ch(0x20, 0x7e);
  for (int iter = 0; iter < 500; ++iter) {
    std::vector<Packet> in(static_cast<size_t>(count(rng)));
    std::string body;
    for (auto& p : in) {
      p.binary = coin(rng) == 0;
      p.type = p.binary ? PacketType::Message : static_cast<PacketType>(type(rng));
      if (p.binary) {
        p.data = random_bytes(rng, 40);
      } else {
        p.data.resize(static_cast<size_t>(count(rng)) - 1);
        for (auto& c : p.data) c = static_cast<char>(ch(rng));
      }
      sb::eio::append_payload_packet(body, p);
    }
    std::vector<Packet> out;
    ASSERT_EQ(sb::eio::decode_payload(body, out), DecodeError::None);
    ASSERT_EQ(out.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(out[i].type, in[i].type);
      EXPECT_EQ(out[i].binary, in[i].binary);
      EXPECT_EQ(out[i].data, in[i].data);
    }
  }
}

TEST(EioFuzz, RandomInputNeverCrashes) {
  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> pick(0, 3);
  const char alphabet[] = "0123456789b=+/AZaz\x1e";
  std::uniform_int_distribution<size_t> ai(0, sizeof alphabet - 2);
  for (int i = 0; i < 20000; ++i) {
    std::string s = random_bytes(rng, 48);
    if (pick(rng) == 0) {
      for (auto& c : s) c = alphabet[ai(rng)];
    }
    Packet p;
    std::vector<Packet> v;
    std::string out;
    (void)sb::eio::decode_packet(s, p);
    (void)sb::eio::decode_payload(s, v, 8);
    if (sb::eio::base64_decode(s, out)) {
      EXPECT_EQ(sb::eio::base64_encode(out).size(), s.size());
    }
  }
}
