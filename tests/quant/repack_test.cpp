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

TEST(Repack, Q8_0InterleavedByEightRowsRoundTripsWithUnsignedValues) {
  constexpr int64_t kRows = 16, kCols = 3 * kQK, kNb = kCols / kQK;
  std::mt19937 rng(13);
  std::vector<BlockQ8_0> rows(kRows * kNb);
  for (auto& b : rows) {
    auto* bytes = reinterpret_cast<uint8_t*>(&b);
    for (size_t i = 0; i < sizeof b; ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
  std::vector<BlockQ8_0X8> x8(rows.size() / 8);
  RepackQ8_0AsX8(rows.data(), x8.data(), kRows, kCols);
  // The documented layout: group 1, block 2, row 3; values offset by 128.
  const BlockQ8_0& src = rows[(8 + 3) * kNb + 2];
  const BlockQ8_0X8& grp = x8[1 * kNb + 2];
  EXPECT_EQ(grp.d[3], src.d);
  for (int i = 0; i < kQK; ++i) {
    EXPECT_EQ(grp.qs[32 * (i / 4) + 4 * 3 + i % 4], static_cast<uint8_t>(src.qs[i] + 128)) << i;
  }
  std::vector<BlockQ8_0> back(rows.size());
  for (int64_t g = 0; g < kRows / 8; ++g) {
    UnpackQ8_0X8Group(x8.data() + g * kNb, back.data() + g * 8 * kNb, kCols);
  }
  EXPECT_EQ(std::memcmp(back.data(), rows.data(), rows.size() * sizeof(BlockQ8_0)), 0);
  EXPECT_FALSE(ParseDType("Q8_0_X8").has_value());
  EXPECT_EQ(*RowBytes(DType::kQ8_0_X8, kCols), *RowBytes(DType::kQ8_0, kCols));
}

TEST(Repack, Q5_0InterleavedIsItsQ8_0CopyInterleaved) {
  constexpr int64_t kRows = 8, kCols = 4 * kQK;
  std::mt19937 rng(14);
  std::vector<BlockQ5_0> q5(kRows * kCols / kQK);
  for (auto& b : q5) {
    auto* bytes = reinterpret_cast<uint8_t*>(&b);
    for (size_t i = 0; i < sizeof b; ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
  std::vector<BlockQ8_0> q8(q5.size());
  RepackQ5_0AsQ8_0(q5.data(), q8.data(), kRows * kCols);
  std::vector<BlockQ8_0X8> want(q5.size() / 8), got(q5.size() / 8);
  RepackQ8_0AsX8(q8.data(), want.data(), kRows, kCols);
  RepackQ5_0AsQ8_0X8(q5.data(), got.data(), kRows, kCols);
  EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(BlockQ8_0X8)), 0);
}

TEST(Repack, Q4_KInterleavedByEightRowsRoundTripsAndKeepsEachRowsBytes) {
  // Random bytes: the layout moves bytes, whatever they mean.
  constexpr int64_t kRows = 16, kCols = 3 * kQK_K, kNb = kCols / kQK_K;
  std::mt19937 rng(11);
  std::vector<BlockQ4_K> rows(kRows * kNb);
  for (auto& b : rows) {
    auto* bytes = reinterpret_cast<uint8_t*>(&b);
    for (size_t i = 0; i < sizeof b; ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
  std::vector<BlockQ4_KX8> x8(rows.size() / 8);
  RepackQ4_KAsX8(rows.data(), x8.data(), kRows, kCols);
  // Spot-check the documented layout: group 1, super-block 2, row 5.
  const BlockQ4_K& src = rows[(8 + 5) * kNb + 2];
  const BlockQ4_KX8& grp = x8[1 * kNb + 2];
  EXPECT_EQ(grp.d[5], src.d);
  EXPECT_EQ(grp.dmin[5], src.dmin);
  for (int k = 0; k < 12; ++k) EXPECT_EQ(grp.scales[8 * k + 5], src.scales[k]) << k;
  for (int i = 0; i < kQK_K / 2; ++i) EXPECT_EQ(grp.qs[32 * (i / 4) + 4 * 5 + i % 4], src.qs[i]) << i;
  // Unpacking each group gives back its 8 rows exactly.
  std::vector<BlockQ4_K> back(rows.size());
  for (int64_t g = 0; g < kRows / 8; ++g) {
    UnpackQ4_KX8Group(x8.data() + g * kNb, back.data() + g * 8 * kNb, kCols);
  }
  EXPECT_EQ(std::memcmp(back.data(), rows.data(), rows.size() * sizeof(BlockQ4_K)), 0);
  // The layout is shimmy's own: no file or type name may claim it.
  EXPECT_FALSE(LookupDType(static_cast<uint32_t>(DType::kQ4_K_X8)).has_value());
  EXPECT_FALSE(ParseDType("Q4_K_X8").has_value());
  EXPECT_EQ(*RowBytes(DType::kQ4_K_X8, kCols), *RowBytes(DType::kQ4_K, kCols));
}

TEST(Repack, Q6_KInterleavedByEightRowsRoundTripsAndKeepsEachRowsBytes) {
  constexpr int64_t kRows = 16, kCols = 2 * kQK_K, kNb = kCols / kQK_K;
  std::mt19937 rng(12);
  std::vector<BlockQ6_K> rows(kRows * kNb);
  for (auto& b : rows) {
    auto* bytes = reinterpret_cast<uint8_t*>(&b);
    for (size_t i = 0; i < sizeof b; ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
  std::vector<BlockQ6_KX8> x8(rows.size() / 8);
  RepackQ6_KAsX8(rows.data(), x8.data(), kRows, kCols);
  // The documented layout: group 1, super-block 1, row 6.
  const BlockQ6_K& src = rows[(8 + 6) * kNb + 1];
  const BlockQ6_KX8& grp = x8[1 * kNb + 1];
  EXPECT_EQ(grp.d[6], src.d);
  for (int k = 0; k < 16; ++k)
    EXPECT_EQ(grp.scales[16 * (k / 2) + 2 * 6 + k % 2], src.scales[k]) << k;
  for (int i = 0; i < kQK_K / 2; ++i) {
    const int h = i / 64, g = i / 4 % 8, s = i / 32 % 2;  // ql[4 (16 h + 8 s + g) + j]
    EXPECT_EQ(grp.q[96 * (8 * h + g) + 32 * s + 4 * 6 + i % 4], src.ql[i]) << i;
  }
  for (int i = 0; i < kQK_K / 4; ++i)
    EXPECT_EQ(grp.q[96 * (i / 4) + 64 + 4 * 6 + i % 4], src.qh[i]) << i;
  std::vector<BlockQ6_K> back(rows.size());
  for (int64_t g = 0; g < kRows / 8; ++g) {
    UnpackQ6_KX8Group(x8.data() + g * kNb, back.data() + g * 8 * kNb, kCols);
  }
  EXPECT_EQ(std::memcmp(back.data(), rows.data(), rows.size() * sizeof(BlockQ6_K)), 0);
  EXPECT_FALSE(ParseDType("Q6_K_X8").has_value());
  EXPECT_EQ(*RowBytes(DType::kQ6_K_X8, kCols), *RowBytes(DType::kQ6_K, kCols));
}

// A row looked up in an interleaved matrix (the token embeddings, when they
// are also the output matrix) is the row it came from.
TEST(Repack, InterleavedRowsDequantizeAsTheirPlainRows) {
  struct Layout {
    DType plain, interleaved;
    void (*repack)(const void*, void*, int64_t, int64_t);
  };
  for (const Layout& layout : {Layout{DType::kQ8_0, DType::kQ8_0_X8, RepackQ8_0AsX8},
                               Layout{DType::kQ4_K, DType::kQ4_K_X8, RepackQ4_KAsX8},
                               Layout{DType::kQ6_K, DType::kQ6_K_X8, RepackQ6_KAsX8}}) {
    constexpr int64_t kRows = 16, kCols = 2 * kQK_K;
    EXPECT_TRUE(IsInterleaved(layout.interleaved));
    EXPECT_FALSE(IsInterleaved(layout.plain));
    EXPECT_EQ(PlainTypeOf(layout.interleaved), layout.plain);
    const size_t row_bytes = *RowBytes(layout.plain, kCols);
    std::vector<std::byte> rows;
    for (int64_t r = 0; r < kRows; ++r) {
      const auto row = testing::RandomWeightRow(layout.plain, kCols, static_cast<uint32_t>(40 + r));
      rows.insert(rows.end(), row.begin(), row.end());
    }
    std::vector<std::byte> x8(rows.size());
    layout.repack(rows.data(), x8.data(), kRows, kCols);
    for (int64_t r = 0; r < kRows; ++r) {
      std::vector<float> want(kCols), got(kCols, -1.0f);
      DequantizeRow(layout.plain, rows.data() + r * row_bytes, want.data(), kCols);
      DequantizeInterleavedRow(layout.interleaved, x8.data() + (r / 8) * 8 * row_bytes,
                               static_cast<int>(r % 8), got.data(), kCols);
      ASSERT_EQ(want, got) << Name(layout.plain) << " row " << r;
    }
  }
}

}  // namespace
}  // namespace shimmy
