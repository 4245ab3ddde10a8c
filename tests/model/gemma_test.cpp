// Gemma 2 and Gemma 3 through the engine. No fixture files exist for them,
// so the models come from the random writer: they must load, run
// deterministically, give the same logits however the prompt is batched,
// honour the sliding window exactly, and soft-cap the final logits.
#include <gtest/gtest.h>

#include <cmath>

#include "model_test_util.h"

namespace shimmy {
namespace {

using testing::LastLogits;
using testing::MaxAbsDiff;
using testing::Open;
using testing::Prompt;
using testing::RunTokens;
using testing::TempDir;
using testing::WriteModel;

class Gemma : public ::testing::TestWithParam<const char*> {};

TEST_P(Gemma, RunsDeterministicallyWhateverTheBatching) {
  const auto dir = TempDir(std::string("gemma-run-") + GetParam());
  for (const char* type : {"F32", "Q4_K_M"}) {
    RandomModelSpec spec = *RandomModelPreset(std::string("tiny-") + GetParam());
    spec.type = type;
    const std::string path = WriteModel(spec, dir, type);
    auto a = Open(path), b = Open(path);
    ASSERT_TRUE(a && b);
    const HParams& hp = a->model().hparams();
    EXPECT_EQ(hp.sliding_window, spec.sliding_window);
    // 24 tokens: past the 16-token window.
    const auto prompt = Prompt(24, spec.n_vocab);
    const auto all = LastLogits(*a, prompt);
    ASSERT_TRUE(testing::AllFinite(all)) << type;
    EXPECT_EQ(all, LastLogits(*b, prompt)) << type << ": another instance differs";
    EXPECT_EQ(all, LastLogits(*a, prompt)) << type << ": a second run differs";
    EXPECT_LT(MaxAbsDiff(all, RunTokens(*a, prompt, 1, false)), 1e-4f) << type << ": token by token";
    EXPECT_LT(MaxAbsDiff(all, RunTokens(*a, prompt, 7, false)), 1e-4f) << type << ": chunks of 7";
  }
}

INSTANTIATE_TEST_SUITE_P(Both, Gemma, ::testing::Values("gemma2", "gemma3"));

TEST(Gemma, LayerPatternsAndDefaultsFollowThePublishedModels) {
  const auto dir = TempDir("gemma-hparams");
  auto g2 = Open(WriteModel(*RandomModelPreset("tiny-gemma2"), dir, "g2"));
  auto g3 = Open(WriteModel(*RandomModelPreset("tiny-gemma3"), dir, "g3"));
  ASSERT_TRUE(g2 && g3);
  const HParams& h2 = g2->model().hparams();
  EXPECT_EQ(h2.layer_uses_swa, (std::vector<bool>{true, false}));  // even layers local
  EXPECT_EQ(h2.attn_softcap, 50.0f);
  EXPECT_EQ(h2.final_softcap, 30.0f);
  const HParams& h3 = g3->model().hparams();
  EXPECT_EQ(h3.layer_uses_swa, (std::vector<bool>{true, true, true, true, true, false}));  // 5 local : 1 global
  EXPECT_EQ(h3.attn_softcap, 0.0f);
  EXPECT_EQ(h3.final_softcap, 0.0f);
  EXPECT_EQ(h3.rope.freq_base, 1e6f);
  EXPECT_EQ(h3.rope.freq_base_swa, 1e4f);
}

// The 27B models scale queries by 1/sqrt(n_embd / n_head), not
// 1/sqrt(head_dim); GGUF files do not say so, the layer count does.
TEST(Gemma, Only27BShapesScaleQueriesByEmbdPerHead) {
  const auto dir = TempDir("gemma-27b-scale");
  for (const auto& [arch, n_layer_27b] : {std::pair{"gemma2", 46}, std::pair{"gemma3", 62}}) {
    RandomModelSpec spec = *RandomModelPreset(std::string("tiny-") + arch);
    spec.n_embd = 64, spec.n_head = 4, spec.n_head_kv = 2, spec.head_dim = 8, spec.n_ff = 64;
    spec.n_vocab = 64;
    for (int n_layer : {n_layer_27b, n_layer_27b - 1}) {
      spec.n_layer = n_layer;
      auto inst = Open(WriteModel(spec, dir, arch + std::to_string(n_layer)));
      ASSERT_TRUE(inst);
      const float want = n_layer == n_layer_27b ? 1.0f / std::sqrt(16.0f) : 0.0f;  // 0: 1/sqrt(head_dim)
      EXPECT_EQ(inst->model().hparams().attn_scale, want) << arch << " with " << n_layer << " layers";
      EXPECT_TRUE(testing::AllFinite(LastLogits(*inst, Prompt(5, spec.n_vocab))));
    }
  }
}

// The same weights (same seed) with only attention.sliding_window changed:
// identical while the prompt fits in the window, different beyond it.
TEST(Gemma2, SlidingWindowMattersOnlyBeyondItsLength) {
  const auto dir = TempDir("gemma2-window");
  RandomModelSpec spec = *RandomModelPreset("tiny-gemma2");
  spec.sliding_window = 4;
  auto narrow = Open(WriteModel(spec, dir, "narrow"));
  spec.sliding_window = 4096;
  auto wide = Open(WriteModel(spec, dir, "wide"));
  ASSERT_TRUE(narrow && wide);
  const auto short_prompt = Prompt(4, spec.n_vocab);
  EXPECT_EQ(LastLogits(*narrow, short_prompt), LastLogits(*wide, short_prompt));
  const auto long_prompt = Prompt(16, spec.n_vocab);
  EXPECT_GT(MaxAbsDiff(LastLogits(*narrow, long_prompt), LastLogits(*wide, long_prompt)), 1e-3f);
}

// With every layer local (a 5-layer Gemma 3: its global layer would be the
// sixth), information moves back at most window-1 positions per layer, so
// the last position sees exactly the last n_layer*(window-1)+1 tokens.
// Changing a token just outside that reach must leave the logits bitwise
// unchanged; changing the oldest token inside must not. This pins the
// window to exactly `window` positions (self included) on every layer.
TEST(Gemma3, AllLocalModelForgetsTokensOutOfReach) {
  const auto dir = TempDir("gemma3-reach");
  RandomModelSpec spec = *RandomModelPreset("tiny-gemma3");
  spec.n_layer = 5;
  spec.sliding_window = 4;
  auto inst = Open(WriteModel(spec, dir, "local"));
  ASSERT_TRUE(inst);
  ASSERT_EQ(inst->model().hparams().layer_uses_swa, std::vector<bool>(5, true));
  const int n = 24, reach = spec.n_layer * (spec.sliding_window - 1);  // 15
  const auto prompt = Prompt(n, spec.n_vocab);
  const auto base = LastLogits(*inst, prompt);
  auto changed = [&](int pos) {
    auto p = prompt;
    p[static_cast<size_t>(pos)] = (p[static_cast<size_t>(pos)] + 1) % spec.n_vocab;
    return LastLogits(*inst, p);
  };
  const int last = n - 1;
  EXPECT_EQ(changed(0), base);
  EXPECT_EQ(changed(last - reach - 1), base) << "a token beyond the reach changed the logits";
  EXPECT_GT(MaxAbsDiff(changed(last - reach), base), 0.0f) << "the oldest token in reach had no effect";
  EXPECT_GT(MaxAbsDiff(changed(last - 1), base), 1e-4f);

  // Control: Gemma 2 has a global layer, so the first token matters.
  RandomModelSpec g2 = *RandomModelPreset("tiny-gemma2");
  g2.sliding_window = 4;
  auto global = Open(WriteModel(g2, dir, "global"));
  ASSERT_TRUE(global);
  auto p = prompt;
  const auto g_base = LastLogits(*global, p);
  p[0] = (p[0] + 1) % g2.n_vocab;
  EXPECT_GT(MaxAbsDiff(LastLogits(*global, p), g_base), 1e-5f);
}

// final_softcap c maps each raw logit x to c * tanh(x / c). A cap so large
// it does nothing gives the raw logits of the same weights to compare with.
TEST(Gemma2, FinalSoftcapBoundsTheLogits) {
  const auto dir = TempDir("gemma2-softcap");
  RandomModelSpec spec = *RandomModelPreset("tiny-gemma2");
  spec.weight_std = 0.3f;  // raw logits of several units
  spec.final_softcap = 1e6f;
  auto raw_inst = Open(WriteModel(spec, dir, "raw"));
  constexpr float kCap = 2.0f;
  spec.final_softcap = kCap;
  auto capped_inst = Open(WriteModel(spec, dir, "capped"));
  ASSERT_TRUE(raw_inst && capped_inst);
  const auto prompt = Prompt(10, spec.n_vocab);
  const auto raw = LastLogits(*raw_inst, prompt);
  const auto capped = LastLogits(*capped_inst, prompt);
  ASSERT_EQ(raw.size(), capped.size());
  float raw_max = 0.0f, capped_max = 0.0f, worst = 0.0f;
  for (size_t i = 0; i < raw.size(); ++i) {
    raw_max = std::max(raw_max, std::fabs(raw[i]));
    capped_max = std::max(capped_max, std::fabs(capped[i]));
    worst = std::max(worst, std::fabs(capped[i] - kCap * std::tanh(raw[i] / kCap)));
  }
  EXPECT_GT(raw_max, 2 * kCap) << "the test needs logits well past the cap";
  EXPECT_LE(capped_max, kCap);
  EXPECT_GT(capped_max, 0.9f * kCap);
  EXPECT_LT(worst, 1e-4f);
}

}  // namespace
}  // namespace shimmy
