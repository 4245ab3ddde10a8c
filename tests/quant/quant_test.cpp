// Hand-built blocks with known values, the exact activation conversions, and
// quantize -> dequantize round trips.
#include "quant/quant.h"

#include <gtest/gtest.h>

#include <cstring>

#include "quant/block_types.h"
#include "quant_test_util.h"
#include "tensor/half.h"

namespace shimmy {
namespace {

using testing::DequantizeVec;
using testing::QuantizeVec;
using testing::RandomNormal;
using testing::RelRms;

template <class Block>
std::vector<float> Decode(DType type, const Block& b) {
  return DequantizeVec(type, &b, Info(type).block_size);
}

TEST(QuantKnownValues, Q4_0AndQ4_1) {
  BlockQ4_0 a{};
  a.d = F32ToF16(0.5f);
  a.qs[0] = 0x3A;
  a.qs[15] = 0xF0;
  auto y = Decode(DType::kQ4_0, a);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[16], -2.5f);
  EXPECT_EQ(y[15], -4.0f);
  EXPECT_EQ(y[31], 3.5f);

  BlockQ4_1 b{};
  b.d = F32ToF16(0.5f);
  b.m = F32ToF16(-1.0f);
  b.qs[1] = 0x52;
  y = Decode(DType::kQ4_1, b);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[17], 1.5f);
  EXPECT_EQ(y[0], -1.0f);
}

TEST(QuantKnownValues, Q5_0AndQ5_1) {
  BlockQ5_0 a{};
  a.d = F32ToF16(1.0f);
  a.qs[3] = 0xF1;
  const uint32_t qh = (1u << 2) | (1u << 18) | (1u << 19);
  std::memcpy(a.qh, &qh, 4);
  auto y = Decode(DType::kQ5_0, a);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[18], 0.0f);
  EXPECT_EQ(y[3], -15.0f);
  EXPECT_EQ(y[19], 15.0f);
  EXPECT_EQ(y[4], -16.0f);

  BlockQ5_1 b{};
  b.d = F32ToF16(1.0f);
  b.qs[0] = 0x21;
  const uint32_t qh1 = 1u;
  std::memcpy(b.qh, &qh1, 4);
  y = Decode(DType::kQ5_1, b);
  EXPECT_EQ(y[0], 17.0f);
  EXPECT_EQ(y[16], 2.0f);
}

TEST(QuantKnownValues, Q8_0AndQ8_K) {
  BlockQ8_0 a{};
  a.d = F32ToF16(0.25f);
  a.qs[5] = -12;
  EXPECT_EQ(Decode(DType::kQ8_0, a)[5], -3.0f);
  BlockQ8_K b{};
  b.d = 0.5f;
  b.qs[100] = 7;
  EXPECT_EQ(Decode(DType::kQ8_K, b)[100], 3.5f);
}

TEST(QuantKnownValues, Q2_K) {
  BlockQ2_K b{};
  b.d = F32ToF16(1.0f);
  b.dmin = F32ToF16(0.5f);
  b.scales[9] = 0x23;                           // sub-block 9: scale 3, min 2
  b.qs[32 + 20] = 2;                            // element 128 + 20, column group 0
  b.scales[14] = 0x11;                          // sub-block 14: scale 1, min 1
  b.qs[32 + 5] = static_cast<uint8_t>(3 << 6);  // element 128 + 96 + 5, group 3
  const auto y = Decode(DType::kQ2_K, b);
  EXPECT_EQ(y[148], 5.0f);
  EXPECT_EQ(y[229], 2.5f);
  EXPECT_EQ(y[0], 0.0f);
}

TEST(QuantKnownValues, Q3_K) {
  BlockQ3_K b{};
  b.d = F32ToF16(1.0f);
  // Sub-block 13 gets stored scale 45 (= +13): low nibble 0xD in the high
  // half of byte 5, top bits 0b10 at bits 6-7 of byte 9.
  b.scales[5] = 0xD0;
  b.scales[9] = 0x80;
  b.qs[32 + 17] = 1 << 4;  // element 128 + 64 + 17: low bits 1, hmask clear
  b.qs[32 + 18] = 2 << 4;  // element 128 + 64 + 18: low bits 2, hmask set
  b.hmask[18] = 1 << 6;
  const auto y = Decode(DType::kQ3_K, b);
  EXPECT_EQ(Q3KScale(b.scales, 13), 13);
  EXPECT_EQ(y[209], -39.0f);
  EXPECT_EQ(y[210], 26.0f);
  EXPECT_EQ(y[0], 128.0f);  // scale -32, value 0 - 4
}

TEST(QuantKnownValues, Q4_KAndQ5_K) {
  // Sub-block 5: scale 37 (0b10'0101), min 18 (0b01'0010).
  uint8_t scales[12] = {};
  scales[9] = 0x25;
  scales[1] = 2 << 6;
  scales[5] = 1 << 6;
  BlockQ4_K a{};
  a.d = F32ToF16(1.0f);
  a.dmin = F32ToF16(1.0f);
  std::memcpy(a.scales, scales, 12);
  a.qs[64 + 7] = 0x30;  // element 128 + 32 + 7 (high nibble of chunk 2)
  auto y = Decode(DType::kQ4_K, a);
  EXPECT_EQ(y[167], 93.0f);
  EXPECT_EQ(y[160], -18.0f);
  EXPECT_EQ(y[0], 0.0f);

  BlockQ5_K b{};
  b.d = F32ToF16(1.0f);
  b.dmin = F32ToF16(1.0f);
  std::memcpy(b.scales, scales, 12);
  b.qs[64 + 7] = 0x30;
  b.qh[7] = 1 << 5;
  y = Decode(DType::kQ5_K, b);
  EXPECT_EQ(y[167], 685.0f);
}

TEST(QuantKnownValues, Q6_K) {
  BlockQ6_K b{};
  b.d = F32ToF16(0.5f);
  b.ql[64 + 32 + 20] = 0x90;  // element 128 + 96 + 20: high nibble of ql[116]
  b.qh[32 + 20] = 2 << 6;
  b.scales[15] = -3;
  const auto y = Decode(DType::kQ6_K, b);
  EXPECT_EQ(y[244], -13.5f);
  EXPECT_EQ(y[0], 0.0f);  // scale 0
}

TEST(QuantKnownValues, Iq4AndMxfp4) {
  BlockIQ4_NL a{};
  a.d = F32ToF16(1.0f);
  a.qs[4] = 0x0F;
  auto y = Decode(DType::kIQ4_NL, a);
  EXPECT_EQ(y[4], 113.0f);
  EXPECT_EQ(y[20], -127.0f);

  BlockIQ4_XS b{};
  b.d = F32ToF16(0.5f);
  b.scales_l[2] = 0x80;  // sub-block 5: stored scale 40 (= +8)
  b.scales_h = 2 << 10;
  b.qs[16 * 5 + 3] = 0x10;
  y = Decode(DType::kIQ4_XS, b);
  EXPECT_EQ(y[32 * 5 + 16 + 3], -416.0f);

  BlockMXFP4 c{};
  c.e = 128;  // 2^1
  c.qs[0] = 0x7F;
  y = Decode(DType::kMXFP4, c);
  EXPECT_EQ(y[0], -12.0f);
  EXPECT_EQ(y[16], 12.0f);
  EXPECT_EQ(Mxfp4Scale(0), std::ldexp(1.0f, -128));
  EXPECT_EQ(Mxfp4Scale(1), std::ldexp(1.0f, -127));
  EXPECT_EQ(Mxfp4Scale(127), 0.5f);
}

TEST(ActivationQuant, Q8_0RoundsHalfToEvenWith127OverAmax) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = 3.5f;
  x[3] = -2.5f;
  x[4] = -127.0f;
  const auto q = QuantizeVec(DType::kQ8_0, x);
  BlockQ8_0 b;
  std::memcpy(&b, q.data(), sizeof b);
  EXPECT_EQ(+b.d, F32ToF16(1.0f));
  EXPECT_EQ(b.qs[1], 2);
  EXPECT_EQ(b.qs[2], 4);
  EXPECT_EQ(b.qs[3], -2);
  EXPECT_EQ(b.qs[4], -127);

  for (int j = 0; j < 32; ++j) x[j] = 0.1f * j;
  x[7] = -5.0f;
  const auto q1 = QuantizeVec(DType::kQ8_1, x);
  BlockQ8_1 c;
  std::memcpy(&c, q1.data(), sizeof c);
  EXPECT_EQ(+c.d, F32ToF16(5.0f / 127.0f));
  EXPECT_EQ(c.qs[7], -127);
  EXPECT_EQ(c.qs[1], 3);  // 0.1 * 25.4 = 2.54
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += c.qs[j];
  EXPECT_EQ(+c.s, F32ToF16(5.0f / 127.0f * static_cast<float>(sum)));
}

TEST(ActivationQuant, Q8_KScalesFromTheSignedMaximum) {
  std::vector<float> x(256, 0.0f);
  for (int j = 0; j < 256; ++j) x[j] = 0.01f * (j % 17) - 0.05f;
  x[10] = -4.0f;
  x[20] = 4.0f;  // same magnitude later: the first one (negative) sets the sign
  auto q = QuantizeVec(DType::kQ8_K, x);
  BlockQ8_K b;
  std::memcpy(&b, q.data(), sizeof b);
  EXPECT_EQ(b.qs[10], -127);
  EXPECT_EQ(b.qs[20], 127);
  EXPECT_EQ(+b.d, 1.0f / 31.75f);
  for (int g = 0; g < 16; ++g) {
    int sum = 0;
    for (int j = 0; j < 16; ++j) sum += b.qs[16 * g + j];
    EXPECT_EQ(+b.bsums[g], sum);
  }
  x[10] = 4.0f;  // positive maximum maps to -127 as well
  q = QuantizeVec(DType::kQ8_K, x);
  std::memcpy(&b, q.data(), sizeof b);
  EXPECT_EQ(b.qs[10], -127);
  EXPECT_EQ(+b.d, -1.0f / 31.75f);

  std::fill(x.begin(), x.end(), 0.0f);
  q = QuantizeVec(DType::kQ8_K, x);
  std::memcpy(&b, q.data(), sizeof b);
  EXPECT_EQ(+b.d, 0.0f);
  EXPECT_EQ(b.qs[0], 0);
}

TEST(ActivationQuant, HalfFormatsRoundEachElement) {
  const auto x = RandomNormal(64, 3);
  const auto f16 = QuantizeVec(DType::kF16, x);
  const auto bf16 = QuantizeVec(DType::kBF16, x);
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t h, b;
    std::memcpy(&h, f16.data() + 2 * i, 2);
    std::memcpy(&b, bf16.data() + 2 * i, 2);
    EXPECT_EQ(h, F32ToF16(x[i]));
    EXPECT_EQ(b, F32ToBf16(x[i]));
  }
}

// Relative RMS error of quantize -> dequantize on normal data, with a bound
// a little above what each format's step size gives.
struct RoundTripCase {
  DType type;
  double max_rel_rms;
};

class QuantRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(QuantRoundTrip, ErrorWithinBound) {
  const auto [type, bound] = GetParam();
  const int64_t n = 256 * 64;
  const auto x = RandomNormal(n, 42, 0.02f);
  const auto q = QuantizeVec(type, x);
  const auto y = DequantizeVec(type, q.data(), n);
  const double err = RelRms(y, x);
  EXPECT_LT(err, bound) << Name(type);
  EXPECT_GT(err, bound / 20) << Name(type) << ": suspiciously exact";
  std::printf("[ quant    ] %-7s rel rms %.5f\n", std::string(Name(type)).c_str(), err);
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, QuantRoundTrip,
    ::testing::Values(RoundTripCase{DType::kF16, 3e-4}, RoundTripCase{DType::kBF16, 2.5e-3},
                      RoundTripCase{DType::kQ8_0, 7e-3}, RoundTripCase{DType::kQ8_1, 7e-3},
                      RoundTripCase{DType::kQ8_K, 9e-3}, RoundTripCase{DType::kQ4_0, 0.11},
                      RoundTripCase{DType::kQ4_1, 0.10}, RoundTripCase{DType::kQ5_0, 0.055},
                      RoundTripCase{DType::kQ5_1, 0.05}, RoundTripCase{DType::kQ2_K, 0.40},
                      RoundTripCase{DType::kQ3_K, 0.20}, RoundTripCase{DType::kQ4_K, 0.10},
                      RoundTripCase{DType::kQ5_K, 0.05}, RoundTripCase{DType::kQ6_K, 0.025},
                      RoundTripCase{DType::kIQ4_NL, 0.10}, RoundTripCase{DType::kIQ4_XS, 0.10}),
    [](const auto& info) { return std::string(Name(info.param.type)); });

TEST(QuantRoundTrip, ZeroRowsStayZero) {
  for (DType type : testing::AllWeightTypes()) {
    if (!CanQuantize(type)) continue;
    const std::vector<float> x(512, 0.0f);
    const auto q = QuantizeVec(type, x);
    for (float v : DequantizeVec(type, q.data(), 512)) ASSERT_EQ(v, 0.0f) << Name(type);
  }
}

// VecDotRef must equal the dot product of the dequantized rows (the integer
// path is exact; only float rounding differs).
TEST(VecDotRef, MatchesDequantizedDot) {
  for (DType type : testing::AllWeightTypes()) {
    for (int64_t n : {256, 1024, 4096}) {
      const auto w = testing::RandomWeightRow(type, n, 7 + static_cast<uint32_t>(n));
      const DType act_type = VecDotType(type);
      const auto a = QuantizeVec(act_type, RandomNormal(n, 99));
      double abs_sum;
      const double expect = testing::ExpectedDot(type, w.data(), a.data(), n, &abs_sum);
      const float got = VecDotRef(type, w.data(), a.data(), n);
      EXPECT_NEAR(got, expect, 2e-6 * abs_sum + 1e-30) << Name(type) << " n=" << n;
    }
  }
}

TEST(VecDotType, Table) {
  EXPECT_EQ(VecDotType(DType::kF32), DType::kF32);
  EXPECT_EQ(VecDotType(DType::kF16), DType::kF16);
  EXPECT_EQ(VecDotType(DType::kBF16), DType::kBF16);
  for (DType t : {DType::kQ4_0, DType::kQ5_0, DType::kQ8_0, DType::kIQ4_NL, DType::kMXFP4}) {
    EXPECT_EQ(VecDotType(t), DType::kQ8_0) << Name(t);
  }
  EXPECT_EQ(VecDotType(DType::kQ4_1), DType::kQ8_1);
  EXPECT_EQ(VecDotType(DType::kQ5_1), DType::kQ8_1);
  for (DType t :
       {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kIQ4_XS}) {
    EXPECT_EQ(VecDotType(t), DType::kQ8_K) << Name(t);
  }
}

}  // namespace
}  // namespace shimmy
