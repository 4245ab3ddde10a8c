#include "tensor/half.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>

namespace shimmy {
namespace {

bool IsF16Nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0; }

TEST(Half, F16KnownValues) {
  EXPECT_EQ(F16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(F16ToF32(0xc000), -2.0f);
  EXPECT_EQ(F16ToF32(0x7bff), 65504.0f);
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(F16ToF32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::isinf(F16ToF32(0x7c00)));
  EXPECT_TRUE(std::signbit(F16ToF32(0x8000)));
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bff);
  EXPECT_EQ(F32ToF16(65519.0f), 0x7bff);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00);  // halfway to the next step: ties to even -> inf
  EXPECT_EQ(F32ToF16(1e10f), 0x7c00);
  EXPECT_EQ(F32ToF16(-1e10f), 0xfc00);
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and 2^-24 -> even (0)
  EXPECT_EQ(F32ToF16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_TRUE(IsF16Nan(F32ToF16(std::nanf(""))));
}

TEST(Half, F16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    if (IsF16Nan(bits)) {
      EXPECT_TRUE(std::isnan(F16ToF32(bits)));
      EXPECT_TRUE(IsF16Nan(F32ToF16(F16ToF32(bits))));
      continue;
    }
    ASSERT_EQ(F32ToF16(F16ToF32(bits)), bits) << h;
  }
}

// Between two neighbouring halves a and b (finite, same sign), the midpoint
// rounds to the one with an even mantissa, and anything off the midpoint to
// the nearer one. Midpoints are exact floats (12 significant bits).
TEST(Half, F16RoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    for (uint16_t sign : {uint16_t{0}, uint16_t{0x8000}}) {
      const uint16_t a = static_cast<uint16_t>(h | sign);
      const uint16_t b = static_cast<uint16_t>((h + 1) | sign);
      const float fa = F16ToF32(a), fb = F16ToF32(b);
      const float mid = (fa + fb) / 2;
      ASSERT_EQ(F32ToF16(mid), (h & 1) ? b : a) << h;
      ASSERT_EQ(F32ToF16(std::nextafter(mid, fa)), a) << h;
      ASSERT_EQ(F32ToF16(std::nextafter(mid, fb)), b) << h;
    }
  }
}

TEST(Half, Bf16RoundTripAndRounding) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    const float f = Bf16ToF32(bits);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(f))));
      continue;
    }
    ASSERT_EQ(F32ToBf16(f), bits);
  }
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x7f7fffffu)), 0x7f80);  // max float -> inf
}

}  // namespace
}  // namespace shimmy
