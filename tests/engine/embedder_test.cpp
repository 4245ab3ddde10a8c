#include "engine/embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/fixtures.h"
#include "quant/quant.h"

namespace shimmy {
namespace {

std::unique_ptr<Instance> Load(const std::string& name) {
  auto inst = Instance::Create({.path = (testing::FixturesDir() / "models" / name).string(), .n_ctx = 64, .n_threads = 2});
  EXPECT_TRUE(inst.ok()) << inst.error().message();
  return std::move(inst).value();
}

TEST(Embedder, LastTokenHiddenStateProjectsToReferenceLogits) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("tiny-random-qwen3-F32.gguf");
  const auto ref = nlohmann::json::parse(
      testing::ReadFile(testing::FixturesDir() / "models" / "tiny-random-qwen3-F32.ref.json"));
  const auto prompt = ref["prompt_tokens"].get<std::vector<TokenId>>();
  auto emb = Embed(*inst, prompt, {.pooling = Pooling::kLast, .normalize = false});
  ASSERT_TRUE(emb.ok()) << emb.error().message();
  // logits = output matrix x final normalised hidden state of the last token.
  const WeightMatrix out = inst->model().output().matrix();
  const auto want = ref["full_logits_last_prompt_pos"].get<std::vector<float>>();
  std::vector<float> row(static_cast<size_t>(out.n_cols));
  for (int64_t v = 0; v < out.n_rows; ++v) {
    DequantizeRow(out.type, out.row(v), row.data(), out.n_cols);
    double dot = 0;
    for (int64_t d = 0; d < out.n_cols; ++d) dot += static_cast<double>(row[static_cast<size_t>(d)]) * (*emb)[static_cast<size_t>(d)];
    EXPECT_NEAR(dot, want[static_cast<size_t>(v)], 1e-4) << v;
  }
}

TEST(Embedder, ClsIsTheFirstPositionAndMeanDiffers) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("tiny-random-llama-F32.gguf");
  const std::vector<TokenId> tokens{1, 403, 407, 261, 378};
  auto cls = Embed(*inst, tokens, {.pooling = Pooling::kCls});
  auto first_alone = Embed(*inst, {tokens[0]}, {.pooling = Pooling::kLast});
  auto mean = Embed(*inst, tokens, {.pooling = Pooling::kMean});
  ASSERT_TRUE(cls.ok() && first_alone.ok() && mean.ok());
  // Causal attention: the first position sees only itself.
  for (size_t i = 0; i < cls->size(); ++i) EXPECT_NEAR((*cls)[i], (*first_alone)[i], 1e-5f);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < mean->size(); ++i) {
    diff += std::fabs((*mean)[i] - (*cls)[i]);
    norm += static_cast<double>((*mean)[i]) * (*mean)[i];
  }
  EXPECT_GT(diff, 1e-2);
  EXPECT_NEAR(norm, 1.0, 1e-5);  // L2-normalised by default
  EXPECT_EQ(inst->kv().n_used(), 0) << "embedding frees its cache cells";
}

TEST(Embedder, EmptyInputIsAnError) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("tiny-random-llama-F32.gguf");
  EXPECT_FALSE(Embed(*inst, {}).ok());
}

}  // namespace
}  // namespace shimmy
