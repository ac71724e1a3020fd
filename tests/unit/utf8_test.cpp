#include "protocol/utf8.hpp"

#include <gtest/gtest.h>

using sb::utf8_lossy;

namespace {
const std::string R = "\xEF\xBF\xBD";  // U+FFFD
}

TEST(Utf8Lossy, KeepsValidText) {
  for (const std::string& s :
       {std::string(), std::string("plain ascii, longer than eight"),
        std::string("\xC2\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
        std::string("\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF"), std::string("nul\0inside", 10)})
    EXPECT_EQ(utf8_lossy(s), s);
}

// The expected strings are what TextDecoder("utf-8") gives (one U+FFFD per
// maximal ill-formed subpart).
TEST(Utf8Lossy, ReplacesInvalidBytes) {
  EXPECT_EQ(utf8_lossy("\x80"), R);  // stray continuation
  EXPECT_EQ(utf8_lossy("a\xFF"
                       "b\xFE"),
            "a" + R + "b" + R);                              // never in UTF-8
  EXPECT_EQ(utf8_lossy("\xF5\x80\x80\x80"), R + R + R + R);  // above U+10FFFF (lead)
  EXPECT_EQ(utf8_lossy("\xF4\x90\x80\x80"), R + R + R + R);  // above U+10FFFF
  EXPECT_EQ(utf8_lossy("12345678\x80"
                       "9"),
            "12345678" + R + "9");  // after the ASCII fast path
}

TEST(Utf8Lossy, ReplacesOverlongForms) {
  EXPECT_EQ(utf8_lossy("\xC0\xAF"), R + R);  // '/' in two bytes
  EXPECT_EQ(utf8_lossy("\xC1\xBF"), R + R);
  EXPECT_EQ(utf8_lossy("\xE0\x80\xAF"), R + R + R);  // '/' in three bytes
  EXPECT_EQ(utf8_lossy("\xE0\x9F\xBF"), R + R + R);
  EXPECT_EQ(utf8_lossy("\xF0\x80\x80\xAF"), R + R + R + R);  // '/' in four bytes
  EXPECT_EQ(utf8_lossy("\xF0\x8F\xBF\xBF"), R + R + R + R);
}

TEST(Utf8Lossy, ReplacesSurrogates) {
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), R + R + R);  // U+D800
  EXPECT_EQ(utf8_lossy("\xED\xBF\xBF"), R + R + R);  // U+DFFF
  // A CESU-8 pair (U+1F600 as two surrogates).
  EXPECT_EQ(utf8_lossy("\xED\xA0\xBD\xED\xB8\x80"), R + R + R + R + R + R);
}

TEST(Utf8Lossy, ReplacesTruncatedSequences) {
  // One U+FFFD for the valid start of a sequence, at the end or before a byte
  // that cannot continue it (that byte is read again on its own).
  EXPECT_EQ(utf8_lossy("\xC2"), R);
  EXPECT_EQ(utf8_lossy("\xE2\x82"), R);
  EXPECT_EQ(utf8_lossy("ok\xF0\x9F\x98"), "ok" + R);
  EXPECT_EQ(utf8_lossy("\xF0\x9F\x98"
                       "A"),
            R + "A");
  EXPECT_EQ(utf8_lossy("\xE2\x82\xF0\x9F\x98\x80"), R + "\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_lossy("\xE2\xC2\xA9"), R + "\xC2\xA9");
  EXPECT_EQ(utf8_lossy("\xF0\x9F\x98\xF0\x9F\x98"), R + R);
}

TEST(Utf8Lossy, OutputIsAlwaysValidAndStable) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; j += 15) {
      all += static_cast<char>(i);
      all += static_cast<char>(j);
    }
  const std::string once = utf8_lossy(all);
  EXPECT_TRUE(sb::valid_utf8(once));
  EXPECT_EQ(utf8_lossy(once), once);
}

TEST(Utf8, AppendWritesEachLengthAndValidAcceptsIt) {
  std::string out;
  for (uint32_t cp : {0x24u, 0x7Fu, 0x80u, 0xA2u, 0x7FFu, 0x800u, 0x20ACu, 0xFFFFu, 0x10000u,
                      0x10348u, 0x10FFFFu})
    sb::append_utf8(out, cp);
  EXPECT_EQ(out,
            "\x24\x7F\xC2\x80\xC2\xA2\xDF\xBF\xE0\xA0\x80\xE2\x82\xAC\xEF\xBF\xBF"
            "\xF0\x90\x80\x80\xF0\x90\x8D\x88\xF4\x8F\xBF\xBF");
  EXPECT_TRUE(sb::valid_utf8(out));
  EXPECT_FALSE(sb::valid_utf8(out + "\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_EQ(utf8_lossy(out), out);
}
