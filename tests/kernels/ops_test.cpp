// SIMD ops against their scalar twins on every target, with lengths that
// leave partial vectors and with unaligned rows.
#include "kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/ops_ref.h"
#include "quant/quant_test_util.h"
#include "target_test_util.h"

namespace shimmy {
namespace {

using testing::RandomNormal;

const int64_t kLengths[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, 256, 1000, 4097};

// Rows starting one float past a 64-byte boundary.
std::vector<float> Unaligned(const std::vector<float>& v) {
  std::vector<float> out(v.size() + 1);
  std::copy(v.begin(), v.end(), out.begin() + 1);
  return out;
}

void ExpectClose(const float* got, const float* want, int64_t n, float rel, const char* what) {
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + 1e-30f)
        << what << " n=" << n << " i=" << i;
  }
}

class OpsTest : public testing::PerTargetTest {};

TEST_P(OpsTest, RmsNorm) {
  for (int64_t n : kLengths) {
    const auto x = Unaligned(RandomNormal(n, 1, 3.0f));
    const auto w = Unaligned(RandomNormal(n, 2));
    std::vector<float> got(n + 1), want(n);
    RmsNorm(x.data() + 1, w.data() + 1, n, 1e-5f, got.data() + 1);
    ref::RmsNorm(x.data() + 1, w.data() + 1, n, 1e-5f, want.data());
    ExpectClose(got.data() + 1, want.data(), n, 2e-6f, "RmsNorm");
    RmsNorm(x.data() + 1, nullptr, n, 1e-5f, got.data() + 1);
    ref::RmsNorm(x.data() + 1, nullptr, n, 1e-5f, want.data());
    ExpectClose(got.data() + 1, want.data(), n, 2e-6f, "RmsNorm no weight");
    auto in_place = x;
    RmsNorm(in_place.data() + 1, nullptr, n, 1e-5f, in_place.data() + 1);
    ExpectClose(in_place.data() + 1, want.data(), n, 2e-6f, "RmsNorm in place");
  }
}

TEST_P(OpsTest, Softmax) {
  for (int64_t n : kLengths) {
    auto got = Unaligned(RandomNormal(n, 3, 5.0f));
    std::vector<float> want(got.begin() + 1, got.end());
    Softmax(got.data() + 1, n);
    ref::Softmax(want.data(), n);
    ExpectClose(got.data() + 1, want.data(), n, 1e-5f, "Softmax");
  }
  std::vector<float> big = {1000.0f, 999.0f, -1000.0f};  // no overflow: max subtracted
  Softmax(big.data(), 3);
  EXPECT_NEAR(big[0], 1.0f / (1.0f + std::exp(-1.0f)), 1e-6f);
  EXPECT_EQ(big[2], 0.0f);
}

TEST_P(OpsTest, SiluMul) {
  for (int64_t n : kLengths) {
    auto g = Unaligned(RandomNormal(n, 4, 4.0f));
    if (n > 3) g[1] = -200.0f, g[2] = 200.0f, g[3] = 0.0f;  // saturated and zero gates
    const auto u = Unaligned(RandomNormal(n, 5));
    std::vector<float> got(n + 1), want(n);
    SiluMul(g.data() + 1, u.data() + 1, n, got.data() + 1);
    ref::SiluMul(g.data() + 1, u.data() + 1, n, want.data());
    ExpectClose(got.data() + 1, want.data(), n, 1e-5f, "SiluMul");
  }
}

TEST_P(OpsTest, AddAndScale) {
  for (int64_t n : kLengths) {
    const auto a = Unaligned(RandomNormal(n, 6));
    const auto b = Unaligned(RandomNormal(n, 7));
    std::vector<float> got(n + 1), want(n);
    Add(a.data() + 1, b.data() + 1, n, got.data() + 1);
    ref::Add(a.data() + 1, b.data() + 1, n, want.data());
    ExpectClose(got.data() + 1, want.data(), n, 0.0f, "Add");
    Scale(got.data() + 1, n, 0.125f);
    ref::Scale(want.data(), n, 0.125f);
    ExpectClose(got.data() + 1, want.data(), n, 0.0f, "Scale");
  }
}

TEST_P(OpsTest, DotAndAddScaled) {
  for (int64_t n : kLengths) {
    const auto a = Unaligned(RandomNormal(n, 8));
    const auto b = Unaligned(RandomNormal(n, 9));
    const float got = Dot(a.data() + 1, b.data() + 1, n);
    const float want = ref::Dot(a.data() + 1, b.data() + 1, n);
    // Summation order differs: bound by the sum of |products|.
    double mag = 0;
    for (int64_t i = 0; i < n; ++i) mag += std::fabs(a[i + 1] * b[i + 1]);
    EXPECT_NEAR(got, want, 1e-6 * mag + 1e-6) << "Dot n=" << n;
    std::vector<float> y = Unaligned(RandomNormal(n, 10)), y_ref(y.begin() + 1, y.end());
    AddScaled(y.data() + 1, a.data() + 1, 0.375f, n);
    ref::AddScaled(y_ref.data(), a.data() + 1, 0.375f, n);
    for (int64_t i = 0; i < n; ++i) {
      // FMA rounds once, the reference twice: bound by the operands' size.
      const float bound = 1e-6f * (std::fabs(y_ref[i]) + std::fabs(0.375f * a[i + 1])) + 1e-30f;
      ASSERT_NEAR(y[i + 1], y_ref[i], bound) << "AddScaled n=" << n << " i=" << i;
    }
  }
}

SHIMMY_INSTANTIATE_PER_TARGET(OpsTest);

}  // namespace
}  // namespace shimmy
