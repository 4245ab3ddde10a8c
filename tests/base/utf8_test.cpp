#include "base/utf8.h"

#include <gtest/gtest.h>

namespace shimmy {
namespace {

TEST(Utf8, AppendEncodesEveryLength) {
  std::string s;
  utf8::Append(s, U'A');
  utf8::Append(s, U'ä');
  utf8::Append(s, U'€');
  utf8::Append(s, U'🦙');
  EXPECT_EQ(s, "A\xC3\xA4\xE2\x82\xAC\xF0\x9F\xA6\x99");
}

TEST(Utf8, DecodeRoundTripsAndReplacesInvalid) {
  const std::string s = "A\xC3\xA4\xF0\x9F\xA6\x99\xFF";
  size_t pos = 0;
  EXPECT_EQ(utf8::DecodeOne(s, pos), U'A');
  EXPECT_EQ(utf8::DecodeOne(s, pos), U'ä');
  EXPECT_EQ(utf8::DecodeOne(s, pos), U'🦙');
  EXPECT_EQ(utf8::DecodeOne(s, pos), 0xFFFDu);
  EXPECT_EQ(pos, s.size());
}

TEST(Utf8, IncompleteTailCountsHeldBytes) {
  EXPECT_EQ(utf8::IncompleteTail(""), 0u);
  EXPECT_EQ(utf8::IncompleteTail("abc"), 0u);
  EXPECT_EQ(utf8::IncompleteTail("a\xF0\x9F"), 2u);
  EXPECT_EQ(utf8::IncompleteTail("a\xF0\x9F\xA6"), 3u);
  EXPECT_EQ(utf8::IncompleteTail("a\xF0\x9F\xA6\x99"), 0u);
  EXPECT_EQ(utf8::IncompleteTail("\xC3"), 1u);
}

}  // namespace
}  // namespace shimmy
