#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/block_types.h"
#include "quant/quant.h"
#include "quant_test_util.h"

namespace shimmy {
namespace {

TEST(Repack, Q5_0AsQ8_0DecodesToTheSameValuesBitForBit) {
  // Random bytes cover every q in 0..31 in every position and any d bits
  // (NaN and infinity included: the value is d times the same integer).
  constexpr int64_t kN = 64 * kQK;
  std::mt19937 rng(7);
  std::vector<BlockQ5_0> q5(kN / kQK);
  for (auto& b : q5) {
    auto* bytes = reinterpret_cast<uint8_t*>(&b);
    for (size_t i = 0; i < sizeof b; ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
  std::vector<BlockQ8_0> q8(kN / kQK);
  RepackQ5_0AsQ8_0(q5.data(), q8.data(), kN);
  const auto want = testing::DequantizeVec(DType::kQ5_0, q5.data(), kN);
  const auto got = testing::DequantizeVec(DType::kQ8_0, q8.data(), kN);
  ASSERT_EQ(want.size(), got.size());
  EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
  for (const BlockQ8_0& b : q8) {
    for (int8_t v : b.qs) {
      ASSERT_GE(v, -16);
      ASSERT_LE(v, 15);
    }
  }
}

}  // namespace
}  // namespace shimmy
