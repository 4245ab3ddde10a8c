#include "tokenizer/bpe_byte_level.h"

#include <gtest/gtest.h>

namespace shimmy {
namespace {

TEST(ByteLevel, KnownCharacters) {
  EXPECT_EQ(byte_level::ByteToCodepoint('!'), U'!');
  EXPECT_EQ(byte_level::ByteToCodepoint(0xE9), U'\u00E9');
  EXPECT_EQ(byte_level::ByteToCodepoint(0x00), U'\u0100');
  EXPECT_EQ(byte_level::ByteToCodepoint(' '), U'\u0120');   // 'Ġ'
  EXPECT_EQ(byte_level::ByteToCodepoint('\n'), U'\u010A');  // 'Ċ'
  EXPECT_EQ(byte_level::ByteToCodepoint(0xAD), U'\u0143');  // the last of the 68
  EXPECT_EQ(byte_level::CodepointToByte(U'\u0143'), 0xAD);
  EXPECT_EQ(byte_level::CodepointToByte(U'\u20AC'), -1);
}

TEST(ByteLevel, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string encoded = byte_level::Encode(all);
  std::string decoded;
  ASSERT_TRUE(byte_level::Decode(encoded, decoded));
  EXPECT_EQ(decoded, all);
}

TEST(ByteLevel, DecodeRejectsForeignCharacters) {
  std::string out = "kept";
  EXPECT_FALSE(byte_level::Decode("ab\u20AC", out));
  EXPECT_EQ(out, "kept");
  EXPECT_FALSE(byte_level::Decode("\xC4", out));  // truncated UTF-8
  EXPECT_TRUE(byte_level::Decode("\xC4\xA0hi", out));
  EXPECT_EQ(out, "kept hi");
}

}  // namespace
}  // namespace shimmy
