// The fixture models were quantized by llama-quantize from
// tiny-random-llama-F32.gguf, so every dequantized tensor must be close to its
// F32 original. A wrong bit layout scrambles values and gives a relative RMS
// error near 1 or above; correct decoding gives the format's quantization
// noise, well under the bounds below.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "quant/quant.h"
#include "quant_test_util.h"

namespace shimmy {
namespace {

// Bounds on ||dequantized - original|| / ||original|| per tensor type. The
// weights are N(0, 0.02) (norms 1 + N(0, 0.05), kept F32).
double MaxRelRms(DType type) {
  switch (type) {
    case DType::kF32:
      return 0.0;
    case DType::kF16:
      return 1e-3;
    case DType::kBF16:
      return 5e-3;
    case DType::kQ8_0:
      return 1e-2;
    case DType::kQ6_K:
      return 3e-2;
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ5_K:
      return 6e-2;
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ4_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS:
      return 0.12;
    case DType::kQ3_K:
      return 0.25;
    case DType::kQ2_K:
      return 0.45;
    default:
      return 0.0;
  }
}

class FixtureDequant : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureDequant, EveryTensorMatchesTheF32Model) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto dir = testing::FixturesDir() / "models";
  auto ref = gguf::GgufFile::Open((dir / "tiny-random-llama-F32.gguf").string());
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  auto file = gguf::GgufFile::Open((dir / ("tiny-random-llama-" + GetParam() + ".gguf")).string());
  ASSERT_TRUE(file.ok()) << file.error().message();

  std::map<DType, double> worst;
  ASSERT_EQ(file->tensors().size(), ref->tensors().size());
  for (const auto& t : file->tensors()) {
    const auto* r = ref->FindTensor(t.name);
    ASSERT_NE(r, nullptr) << t.name;
    ASSERT_EQ(t.shape, r->shape) << t.name;
    ASSERT_TRUE(CanDequantize(t.type)) << t.name << " " << Name(t.type);
    const auto n = static_cast<int64_t>(t.n_elements);
    const auto got = testing::DequantizeVec(t.type, t.data, n);
    const auto want = testing::DequantizeVec(DType::kF32, r->data, n);
    const double err = testing::RelRms(got, want);
    EXPECT_LE(err, MaxRelRms(t.type)) << t.name << " " << Name(t.type);
    worst[t.type] = std::max(worst[t.type], err);

    // The reference dot on real rows agrees with the dequantized rows.
    if (!IsWeightType(t.type) || t.shape.size() != 2 || t.type == DType::kF32) continue;
    const int64_t n_cols = t.shape[0];
    const DType act = VecDotType(t.type);
    const auto a = testing::QuantizeVec(act, testing::RandomNormal(n_cols, 5));
    const uint64_t row_bytes = *RowBytes(t.type, n_cols);
    for (int64_t row : {int64_t{0}, t.shape[1] - 1}) {
      const std::byte* w = t.data + row * row_bytes;
      double abs_sum;
      const double expect = testing::ExpectedDot(t.type, w, a.data(), n_cols, &abs_sum);
      EXPECT_NEAR(VecDotRef(t.type, w, a.data(), n_cols), expect, 2e-6 * abs_sum) << t.name;
    }
  }
  for (const auto& [type, err] : worst) {
    std::printf("[ fixture  ] %-8s %-6s worst rel rms %.5f\n", GetParam().c_str(),
                std::string(Name(type)).c_str(), err);
  }
}

INSTANTIATE_TEST_SUITE_P(Llama, FixtureDequant,
                         ::testing::Values("F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                                           "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace shimmy
