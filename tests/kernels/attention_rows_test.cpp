// Attention's reads of the KV cache against their scalar twins, on every
// target and for every cache type: rows gathered out of order, strided, at
// a head offset inside the row, several queries per call.
#include "kernels/attention_rows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/ops_ref.h"
#include "quant/quant.h"
#include "quant/quant_test_util.h"
#include "target_test_util.h"

namespace shimmy {
namespace {

using testing::RandomNormal;

// A cache of n_cells rows of `row_values` values stored as `type`.
struct Cache {
  std::vector<uint8_t> bytes;
  int64_t row_bytes = 0;
  std::vector<float> Row(DType type, int64_t cell, int64_t offset_bytes, int64_t d) const {
    std::vector<float> out(static_cast<size_t>(d));
    DequantizeRow(type, bytes.data() + cell * row_bytes + offset_bytes, out.data(), d);
    return out;
  }
};

Cache MakeCache(DType type, int64_t n_cells, int64_t row_values) {
  Cache c;
  c.row_bytes = static_cast<int64_t>(*RowBytes(type, static_cast<uint64_t>(row_values)));
  c.bytes.resize(static_cast<size_t>(n_cells * c.row_bytes));
  for (int64_t cell = 0; cell < n_cells; ++cell) {
    const auto values = RandomNormal(row_values, static_cast<uint32_t>(100 + cell));
    QuantizeRow(type, values.data(), c.bytes.data() + cell * c.row_bytes, row_values);
  }
  return c;
}

struct Case {
  DType type;
  std::vector<int64_t> dims;
};

const Case kCases[] = {
    {DType::kF32, {1, 5, 8, 16, 33, 64, 80, 128, 256}},
    {DType::kF16, {1, 5, 8, 16, 33, 64, 80, 128, 256}},
    {DType::kQ8_0, {32, 64, 96, 128, 256}},  // whole blocks only
};

class AttentionRowsTest : public testing::PerTargetTest {};

TEST_P(AttentionRowsTest, MatchTheScalarTwinsForEveryCacheType) {
  const int64_t kRowCounts[] = {0, 1, 7, 8, 9, 17, 70, 300};
  for (const Case& c : kCases) {
    const bool blocks = c.type == DType::kQ8_0;
    for (int64_t d : c.dims) {
      for (int64_t n_rows : kRowCounts) {
        const std::string what = std::string(Name(c.type)) + " d=" + std::to_string(d) +
                                 " rows=" + std::to_string(n_rows);
        // Rows of three heads' worth (two and a bit for float types); the
        // head used starts one value (one block) in.
        const int64_t row_values = blocks ? 3 * d : 2 * d + 3;
        const int64_t offset_values = blocks ? d : 1;
        const int64_t n_cells = n_rows + 5;
        const Cache cache = MakeCache(c.type, n_cells, row_values);
        const int64_t offset =
            static_cast<int64_t>(*RowBytes(c.type, static_cast<uint64_t>(offset_values)));
        std::vector<int> rows(static_cast<size_t>(n_rows));
        for (int64_t j = 0; j < n_rows; ++j)
          rows[static_cast<size_t>(j)] = static_cast<int>((j * 7 + 3) % n_cells);
        const CachedRows set{.type = c.type,
                             .base = cache.bytes.data() + offset,
                             .stride = cache.row_bytes,
                             .rows = rows.data(),
                             .n = n_rows};
        std::vector<std::vector<float>> values;  // row j as floats
        for (int64_t j = 0; j < n_rows; ++j)
          values.push_back(cache.Row(c.type, rows[static_cast<size_t>(j)], offset, d));

        const int64_t n_q = 3;
        const auto q = RandomNormal(n_q * (d + 2) + 1, 12);
        std::vector<float> got(static_cast<size_t>(n_q * n_rows)), want(got.size());
        DotRows(q.data() + 1, d + 2, n_q, set, d, 0.25f, got.data());
        ref::DotRows(q.data() + 1, d + 2, n_q, set, d, 0.25f, want.data());
        for (int64_t i = 0; i < n_q; ++i) {
          for (int64_t j = 0; j < n_rows; ++j) {
            double mag = 0;
            for (int64_t x = 0; x < d; ++x) mag += std::fabs(q[1 + i * (d + 2) + x] * values[j][x]);
            ASSERT_NEAR(got[i * n_rows + j], want[i * n_rows + j], 0.25 * (1e-6 * mag + 1e-6))
                << "DotRows " << what << " i=" << i << " j=" << j;
          }
        }

        // Softmax-like weights; the output rows are strided and pre-filled
        // with garbage that must be overwritten.
        auto w = RandomNormal(n_q * n_rows, 13);
        for (float& x : w) x = std::fabs(x);
        const int64_t out_stride = d + 4;
        std::vector<float> out(static_cast<size_t>(n_q * out_stride), 99.0f), out_ref(out.size());
        WeightedSumRows(w.data(), n_q, set, d, out.data(), out_stride);
        ref::WeightedSumRows(w.data(), n_q, set, d, out_ref.data(), out_stride);
        for (int64_t i = 0; i < n_q; ++i) {
          for (int64_t x = 0; x < d; ++x) {
            double mag = 0;
            for (int64_t j = 0; j < n_rows; ++j) mag += std::fabs(w[i * n_rows + j] * values[j][x]);
            ASSERT_NEAR(out[i * out_stride + x], out_ref[i * out_stride + x], 1e-6 * mag + 1e-30)
                << "WeightedSumRows " << what << " i=" << i << " x=" << x;
          }
          EXPECT_EQ(out[i * out_stride + d], 99.0f) << "wrote past the row: " << what;
        }
      }
    }
  }
}

// The twins read what the cache stores: a Q8_0 row is d * q per block, so
// its scores differ from the F32 row's by the quantization error only.
TEST(AttentionRows, QuantizedRowsScoreCloseToTheirFloatSource) {
  const int64_t d = 64, n_rows = 20;
  const Cache f32 = MakeCache(DType::kF32, n_rows, d);
  const Cache q8 = MakeCache(DType::kQ8_0, n_rows, d);
  std::vector<int> rows(static_cast<size_t>(n_rows));
  for (int j = 0; j < n_rows; ++j) rows[static_cast<size_t>(j)] = j;
  const auto q = RandomNormal(d, 7);
  std::vector<float> exact(n_rows), approx(n_rows);
  DotRows(q.data(), d, 1,
          {.type = DType::kF32,
           .base = f32.bytes.data(),
           .stride = f32.row_bytes,
           .rows = rows.data(),
           .n = n_rows},
          d, 1.0f, exact.data());
  DotRows(q.data(), d, 1,
          {.type = DType::kQ8_0,
           .base = q8.bytes.data(),
           .stride = q8.row_bytes,
           .rows = rows.data(),
           .n = n_rows},
          d, 1.0f, approx.data());
  for (int j = 0; j < n_rows; ++j) {
    // Each value is off by at most half a step, amax / 254 of its block
    // (bounded here by the row's amax), plus the F16 rounding of d.
    const std::vector<float> row = f32.Row(DType::kF32, j, 0, d);
    double amax = 0, q_abs = 0;
    for (int64_t x = 0; x < d; ++x) {
      amax = std::max(amax, std::fabs(static_cast<double>(row[x])));
      q_abs += std::fabs(q[x]);
    }
    EXPECT_NEAR(approx[j], exact[j], q_abs * amax * (1.0 / 254 + 1.0 / 1024)) << "row " << j;
    EXPECT_NE(approx[j], exact[j]) << "row " << j << ": Q8_0 should round something";
  }
}

SHIMMY_INSTANTIATE_PER_TARGET(AttentionRowsTest);

}  // namespace
}  // namespace shimmy
