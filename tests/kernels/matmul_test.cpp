// Every SIMD kernel against its scalar twin in src/quant, for every weight
// type, on every Highway target, with swept lengths and misaligned rows.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "quant/quant.h"
#include "quant/quant_test_util.h"
#include "target_test_util.h"
#include "tensor/half.h"

namespace shimmy {
namespace {

using testing::RandomNormal;

// Copies bytes to an address `offset` bytes past a 64-byte boundary.
class Misaligned {
 public:
  Misaligned(const std::vector<std::byte>& bytes, size_t offset)
      : storage_(bytes.size() + 128), ptr_(Align(storage_.data()) + offset) {
    std::memcpy(ptr_, bytes.data(), bytes.size());
  }
  std::byte* get() const { return ptr_; }

 private:
  static std::byte* Align(std::byte* p) {
    return p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
  }
  std::vector<std::byte> storage_;
  std::byte* ptr_;
};

std::vector<int64_t> Lengths(DType type) {
  switch (Info(type).block_size) {
    case 1:
      return {1, 3, 8, 15, 16, 17, 31, 64, 100, 255, 1000, 2048};
    case 32:
      return {32, 64, 96, 160, 256, 1024, 2080};
    default:
      return {256, 512, 768, 2048};
  }
}

// Element alignment of the activation rows: blocks are byte-packed, floats
// and halves keep their natural alignment.
size_t ActOffset(DType act, size_t k) {
  switch (act) {
    case DType::kF32:
      return 4 * k;
    case DType::kF16:
    case DType::kBF16:
      return 2 * k;
    default:
      return k;
  }
}

class VecDotTest : public testing::PerTargetTest {};

TEST_P(VecDotTest, MatchesReferenceForEveryType) {
  for (DType type : testing::AllWeightTypes()) {
    const DType act_type = VecDotType(type);
    for (int64_t n : Lengths(type)) {
      for (size_t k = 0; k < 3; ++k) {
        const auto w = testing::RandomWeightRow(type, n, static_cast<uint32_t>(n + k));
        const auto a =
            testing::QuantizeVec(act_type, RandomNormal(n, static_cast<uint32_t>(3 * n + k)));
        const Misaligned wm(w, k == 0 ? 0 : 2 * k - 1);  // 0, 1, 3 bytes off
        const Misaligned am(a, ActOffset(act_type, k));
        double abs_sum;
        testing::ExpectedDot(type, w.data(), a.data(), n, &abs_sum);
        const float ref = VecDotRef(type, w.data(), a.data(), n);
        const float got = VecDot(type, wm.get(), am.get(), n);
        ASSERT_NEAR(got, ref, 2e-6 * abs_sum + 1e-30)
            << Name(type) << " n=" << n << " offset " << k;
      }
    }
  }
}

// Extreme codes and scales: saturating pmaddubsw or int16 overflow would show.
TEST_P(VecDotTest, ExtremeValues) {
  for (DType type : testing::AllWeightTypes()) {
    if (type == DType::kMXFP4) continue;
    const int64_t n = 512;
    std::vector<float> wf(n), af(n);
    for (int64_t i = 0; i < n; ++i) {
      wf[i] = (i % 3 == 0) ? -1.0f : (i % 3 == 1 ? 1.0f : 0.999f);
      af[i] = (i % 5 == 0) ? 1.0f : -1.0f;
    }
    const auto w = testing::QuantizeVec(type, wf);
    const auto a = testing::QuantizeVec(VecDotType(type), af);
    double abs_sum;
    testing::ExpectedDot(type, w.data(), a.data(), n, &abs_sum);
    EXPECT_NEAR(VecDot(type, w.data(), a.data(), n), VecDotRef(type, w.data(), a.data(), n),
                2e-6 * abs_sum)
        << Name(type);
  }
}

class ActivationTest : public testing::PerTargetTest {};

std::vector<float> ActivationData(int64_t n, uint32_t seed) {
  auto x = RandomNormal(n, seed);
  // Halfway cases for the 8-bit formats, F16 specials, exact zeros.
  if (n >= 64) {
    x[0] = 127.0f;
    x[1] = 2.5f;
    x[2] = -3.5f;
    x[3] = 1e-7f;                               // F16 subnormal
    x[4] = 70000.0f;                            // F16 overflow
    x[5] = 1.0009765625f;                       // F16 exact
    x[6] = 1.00048828125f;                      // F16 tie: to even
    for (int i = 32; i < 64; ++i) x[i] = 0.0f;  // an all-zero Q8_0 block
  }
  return x;
}

TEST_P(ActivationTest, BitIdenticalToReference) {
  for (DType type :
       {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ8_1, DType::kQ8_K}) {
    const int64_t block = Info(type).block_size;
    for (int64_t n : {block, 2 * block, 8 * block, 33 * block, 1001 * block}) {
      for (size_t k = 0; k < 2; ++k) {
        const auto x = ActivationData(n, static_cast<uint32_t>(n + k));
        const auto want = testing::QuantizeVec(type, x);
        // Source floats one element past a vector boundary, output bytes odd.
        std::vector<float> src(x.size() + 1);
        std::memcpy(src.data() + k, x.data(), x.size() * sizeof(float));
        const Misaligned dst(std::vector<std::byte>(want.size()), ActOffset(type, k));
        QuantizeActivationRow(type, src.data() + k, dst.get(), n);
        ASSERT_EQ(std::memcmp(dst.get(), want.data(), want.size()), 0)
            << Name(type) << " n=" << n << " offset " << k;
      }
    }
  }
}

// A ParallelFor that really runs the pieces on threads, in uneven chunks.
void ThreadedFor(int64_t n, const RangeFn& fn) {
  std::vector<std::thread> threads;
  int64_t begin = 0;
  for (int64_t chunk = 1; begin < n; chunk = chunk * 2 + 1) {
    const int64_t end = std::min(n, begin + chunk);
    threads.emplace_back([&fn, begin, end] { fn(begin, end); });
    begin = end;
  }
  for (auto& t : threads) t.join();
}

class MatMulTest : public testing::PerTargetTest {};

TEST_P(MatMulTest, MatchesRowByRowReference) {
  for (DType type : testing::AllWeightTypes()) {
    const int64_t n_cols = Info(type).block_size == 256 ? 512 : 96;
    const int64_t n_rows = 37;
    std::vector<std::byte> w;
    for (int64_t r = 0; r < n_rows; ++r) {
      const auto row = testing::RandomWeightRow(type, n_cols, static_cast<uint32_t>(100 + r));
      w.insert(w.end(), row.begin(), row.end());
    }
    const WeightMatrix matrix{type, w.data(), n_rows, n_cols};
    for (int64_t n_tokens : {1, 2, 3, 4, 5, 9}) {
      const auto x = RandomNormal(n_tokens * n_cols, static_cast<uint32_t>(n_tokens));
      const int64_t y_stride = n_rows + 3;
      std::vector<float> y(static_cast<size_t>(n_tokens * y_stride), -1.0f);
      QuantizedActivations xq;
      xq.Quantize(VecDotType(type), x.data(), n_tokens, n_cols, n_cols);
      MatMul(matrix, xq, y.data(), y_stride, ThreadedFor);

      const DType act = VecDotType(type);
      std::vector<std::byte> a(*RowBytes(act, n_cols));
      for (int64_t t = 0; t < n_tokens; ++t) {
        QuantizeRow(act, x.data() + t * n_cols, a.data(), n_cols);
        for (int64_t r = 0; r < n_rows; ++r) {
          double abs_sum;
          testing::ExpectedDot(type, matrix.row(r), a.data(), n_cols, &abs_sum);
          ASSERT_NEAR(y[t * y_stride + r], VecDotRef(type, matrix.row(r), a.data(), n_cols),
                      2e-6 * abs_sum + 1e-30)
              << Name(type) << " tokens=" << n_tokens << " t=" << t << " r=" << r;
        }
        for (int64_t r = n_rows; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -1.0f);
      }
    }
  }
}

TEST_P(MatMulTest, GroupEqualsSeparateMatMuls) {
  // Six outputs (more than one group of four) of uneven heights sharing one
  // set of activations, some shorter than a row block, on real threads.
  for (DType type : {DType::kQ8_0, DType::kQ5_0, DType::kQ4_K, DType::kF16}) {
    const int64_t n_cols = 256;
    const int64_t heights[] = {37, 5, 16, 1, 64, 23};
    std::vector<std::vector<std::byte>> bytes;
    std::vector<WeightMatrix> matrices;
    for (int64_t h : heights) {
      std::vector<std::byte> w;
      for (int64_t r = 0; r < h; ++r) {
        const auto row = testing::RandomWeightRow(type, n_cols, static_cast<uint32_t>(7 * h + r));
        w.insert(w.end(), row.begin(), row.end());
      }
      bytes.push_back(std::move(w));
    }
    for (size_t i = 0; i < bytes.size(); ++i) {
      matrices.push_back(WeightMatrix{type, bytes[i].data(), heights[i], n_cols});
    }
    for (int64_t n_tokens : {1, 5}) {
      const auto x = RandomNormal(n_tokens * n_cols, 3);
      QuantizedActivations xq;
      xq.Quantize(VecDotType(type), x.data(), n_tokens, n_cols, n_cols);
      std::vector<std::vector<float>> grouped, separate;
      std::vector<MatMulOutput> outs;
      for (size_t i = 0; i < matrices.size(); ++i) {
        const int64_t stride = heights[i] + 2;
        grouped.emplace_back(static_cast<size_t>(n_tokens * stride), -1.0f);
        separate.emplace_back(static_cast<size_t>(n_tokens * stride), -1.0f);
        outs.push_back({&matrices[i], grouped.back().data(), stride});
        MatMul(matrices[i], xq, separate.back().data(), stride, ThreadedFor);
      }
      MatMulGroup(outs.data(), outs.size(), xq, ThreadedFor);
      for (size_t i = 0; i < matrices.size(); ++i) {
        EXPECT_EQ(grouped[i], separate[i]) << Name(type) << " output " << i << " tokens " << n_tokens;
      }
    }
  }
}

// Q8_0, Q5_0, Q4_K and Q6_K matrices repacked 8 rows at a time (the model
// does this on CPUs with the kernels for it) must give each original row's
// reference dot product: several groups, every token tile size and a
// remainder, real threads, and as part of a group with a plain matrix.
TEST_P(MatMulTest, InterleavedLayoutsMatchTheRowsTheyCameFrom) {
  struct Layout {
    DType plain, interleaved;
    void (*repack)(const void*, void*, int64_t, int64_t);
  };
  for (const Layout& layout : {Layout{DType::kQ8_0, DType::kQ8_0_X8, RepackQ8_0AsX8},
                               Layout{DType::kQ5_0, DType::kQ8_0_X8, RepackQ5_0AsQ8_0X8},
                               Layout{DType::kQ4_K, DType::kQ4_K_X8, RepackQ4_KAsX8},
                               Layout{DType::kQ6_K, DType::kQ6_K_X8, RepackQ6_KAsX8}}) {
    const DType type = layout.plain;
    for (int64_t n_cols : {256, 1024}) {
      const int64_t n_rows = 40;
      std::vector<std::byte> w;
      for (int64_t r = 0; r < n_rows; ++r) {
        const auto row = testing::RandomWeightRow(type, n_cols, static_cast<uint32_t>(300 + r));
        w.insert(w.end(), row.begin(), row.end());
      }
      std::vector<std::byte> x8(*RowBytes(layout.interleaved, n_cols) * n_rows);
      layout.repack(w.data(), x8.data(), n_rows, n_cols);
      const WeightMatrix plain{type, w.data(), n_rows, n_cols};
      const WeightMatrix interleaved{layout.interleaved, x8.data(), n_rows, n_cols};
      for (int64_t n_tokens : {1, 2, 3, 4, 5, 9}) {
        const auto x = RandomNormal(n_tokens * n_cols, static_cast<uint32_t>(50 + n_tokens));
        QuantizedActivations xq;
        xq.Quantize(VecDotType(type), x.data(), n_tokens, n_cols, n_cols);
        const int64_t y_stride = n_rows + 3;
        std::vector<float> y(static_cast<size_t>(n_tokens * y_stride), -1.0f);
        std::vector<float> y_plain(y.size(), -1.0f);
        const MatMulOutput outs[2] = {{&interleaved, y.data(), y_stride},
                                      {&plain, y_plain.data(), y_stride}};
        MatMulGroup(outs, 2, xq, ThreadedFor);
        for (int64_t t = 0; t < n_tokens; ++t) {
          for (int64_t r = 0; r < n_rows; ++r) {
            double abs_sum;
            const auto* act = xq.row(t);
            testing::ExpectedDot(type, plain.row(r), act, n_cols, &abs_sum);
            const float want = VecDotRef(type, plain.row(r), act, n_cols);
            ASSERT_NEAR(y[t * y_stride + r], want, 2e-6 * abs_sum + 1e-30)
                << Name(type) << " cols=" << n_cols << " tokens=" << n_tokens << " t=" << t
                << " r=" << r;
            ASSERT_NEAR(y_plain[t * y_stride + r], want, 2e-6 * abs_sum + 1e-30);
          }
          for (int64_t r = n_rows; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -1.0f);
        }
      }
    }
  }
}

TEST_P(MatMulTest, MatVecConvenience) {
  const int64_t n_rows = 50, n_cols = 256;
  std::vector<std::byte> w;
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto row = testing::RandomWeightRow(DType::kQ4_K, n_cols, static_cast<uint32_t>(r));
    w.insert(w.end(), row.begin(), row.end());
  }
  const WeightMatrix matrix{DType::kQ4_K, w.data(), n_rows, n_cols};
  const auto x = RandomNormal(n_cols, 1);
  std::vector<float> y(n_rows);
  QuantizedActivations scratch;
  MatVec(matrix, x.data(), y.data(), &scratch);
  const auto a = testing::QuantizeVec(DType::kQ8_K, x);
  for (int64_t r = 0; r < n_rows; ++r) {
    EXPECT_NEAR(y[r], VecDotRef(DType::kQ4_K, matrix.row(r), a.data(), n_cols), 1e-4);
  }
}

SHIMMY_INSTANTIATE_PER_TARGET(VecDotTest);
SHIMMY_INSTANTIATE_PER_TARGET(ActivationTest);
SHIMMY_INSTANTIATE_PER_TARGET(MatMulTest);

}  // namespace
}  // namespace shimmy
