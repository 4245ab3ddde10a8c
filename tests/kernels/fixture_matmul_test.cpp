// MatMul on the real weights of the fixture models (as llama-quantize wrote
// them) against the scalar reference, on every Highway target: covers code
// patterns our own quantizers never produce.
#include <gtest/gtest.h>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "quant/quant.h"
#include "quant/quant_test_util.h"
#include "target_test_util.h"

namespace shimmy {
namespace {

class FixtureMatMul : public testing::PerTargetTest {};

TEST_P(FixtureMatMul, EveryMatrixOfEveryLlamaFile) {
  SHIMMY_REQUIRE_FIXTURES();
  int n_checked = 0;
  for (const char* type : {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K",
                           "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL"}) {
    const auto path =
        testing::FixturesDir() / "models" / (std::string("tiny-random-llama-") + type + ".gguf");
    auto file = gguf::GgufFile::Open(path.string());
    ASSERT_TRUE(file.ok()) << file.error().message();
    for (const auto& t : file->tensors()) {
      if (t.shape.size() != 2) continue;
      const WeightMatrix w{t.type, t.data, t.shape[1], t.shape[0]};
      ASSERT_TRUE(MatMulSupports(w.type)) << t.name;
      const int64_t n_tokens = 5;
      const auto x = testing::RandomNormal(n_tokens * w.n_cols, 11);
      std::vector<float> y(n_tokens * w.n_rows);
      QuantizedActivations scratch;
      MatMul(w, x.data(), n_tokens, y.data(), &scratch);
      const DType act = VecDotType(w.type);
      std::vector<std::byte> a(*RowBytes(act, w.n_cols));
      // Token 0 went through the 4-token kernel, token 4 through the 1-token
      // one; every third row keeps the test quick.
      for (int64_t tok : {0, 4}) {
        QuantizeRow(act, x.data() + tok * w.n_cols, a.data(), w.n_cols);
        for (int64_t r = 0; r < w.n_rows; r += 3) {
          double abs_sum;
          testing::ExpectedDot(w.type, w.row(r), a.data(), w.n_cols, &abs_sum);
          ASSERT_NEAR(y[tok * w.n_rows + r], VecDotRef(w.type, w.row(r), a.data(), w.n_cols),
                      2e-6 * abs_sum)
              << type << " " << t.name << " row " << r << " token " << tok;
        }
      }
      ++n_checked;
    }
  }
  EXPECT_EQ(n_checked, 14 * 16);  // 14 files x (2 layers x 7 + token_embd + output)
}

SHIMMY_INSTANTIATE_PER_TARGET(FixtureMatMul);

}  // namespace
}  // namespace shimmy
