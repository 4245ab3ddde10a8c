// Repetition penalties and their place in the chain (after logit bias,
// repeat before presence/frequency). Greedy decoding makes each effect a
// deterministic comparison of two logits.
#include <gtest/gtest.h>

#include <vector>

#include "sampler_test_util.h"
#include "sampling/sampler.h"

namespace shimmy {
namespace {

using testing::MakeSampler;

TokenId Greedy(Sampler& s, std::vector<float> row) { return *s.Sample(row); }

TEST(SamplerPenalty, RepeatDividesPositiveAndMultipliesNegativeLogits) {
  Sampler s = MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f}, 3);
  EXPECT_EQ(Greedy(s, {2.0f, 1.5f, 0.0f}), 0);
  s.Accept(0);
  EXPECT_EQ(Greedy(s, {2.0f, 1.5f, 0.0f}), 1);  // 2.0 / 2 = 1.0 < 1.5

  Sampler neg = MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f}, 3);
  neg.Accept(0);
  EXPECT_EQ(Greedy(neg, {-1.0f, -1.5f, -9.0f}), 1);  // -1.0 * 2 = -2.0 < -1.5
}

TEST(SamplerPenalty, OnlyTheLastNTokensCount) {
  Sampler s = MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f, .penalty_last_n = 3}, 4);
  s.Accept(0);
  for (TokenId t : {3, 3, 3}) s.Accept(t);  // 0 has left the window
  EXPECT_EQ(Greedy(s, {2.0f, 1.5f, 0.0f, -5.0f}), 0);

  Sampler off = MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f, .penalty_last_n = 0}, 2);
  off.Accept(0);
  EXPECT_EQ(Greedy(off, {2.0f, 1.5f}), 0);

  Sampler all = MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f, .penalty_last_n = -1}, 3);
  all.Accept(0);
  for (int i = 0; i < 500; ++i) all.Accept(1);
  // 0 is still in the unbounded window: 2.0 / 2 = 1.0 loses to the unseen 2.
  EXPECT_EQ(Greedy(all, {2.0f, -5.0f, 1.5f}), 2);
}

TEST(SamplerPenalty, PresenceCountsOnceFrequencyPerOccurrence) {
  Sampler presence = MakeSampler({.temperature = 0.0f, .presence_penalty = 0.1f}, 2);
  for (int i = 0; i < 5; ++i) presence.Accept(0);
  EXPECT_EQ(Greedy(presence, {1.0f, 0.8f}), 0);  // 1.0 - 0.1, once

  Sampler frequency = MakeSampler({.temperature = 0.0f, .frequency_penalty = 0.1f}, 2);
  frequency.Accept(0);
  EXPECT_EQ(Greedy(frequency, {1.0f, 0.85f}), 0);  // 0.9
  frequency.Accept(0);
  frequency.Accept(0);
  EXPECT_EQ(Greedy(frequency, {1.0f, 0.85f}), 1);  // 1.0 - 3 * 0.1 = 0.7

  Sampler negative = MakeSampler({.temperature = 0.0f, .presence_penalty = -0.5f}, 2);
  negative.Accept(1);
  EXPECT_EQ(Greedy(negative, {1.0f, 0.8f}), 1);  // a negative penalty encourages
}

TEST(SamplerPenalty, BiasComesBeforePenalties) {
  // bias then repeat: (1.0 - 2) * 2 = -2.0 < -1.8 -> token 1.
  // (repeat then bias would give 1.0 / 2 - 2 = -1.5 > -1.8 -> token 0.)
  SamplingParams p{.temperature = 0.0f, .repeat_penalty = 2.0f};
  p.logit_bias = {{0, -2.0f}};
  Sampler s = MakeSampler(p, 2);
  s.Accept(0);
  EXPECT_EQ(Greedy(s, {1.0f, -1.8f}), 1);
}

TEST(SamplerPenalty, RepeatComesBeforePresence) {
  // repeat then presence: 1.0 / 2 - 0.5 = 0.0 < 0.1 -> token 1.
  // (presence then repeat would give (1.0 - 0.5) / 2 = 0.25 > 0.1 -> token 0.)
  Sampler s =
      MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f, .presence_penalty = 0.5f}, 2);
  s.Accept(0);
  EXPECT_EQ(Greedy(s, {1.0f, 0.1f}), 1);
}

TEST(SamplerPenalty, PenaltiesComeBeforeTruncation) {
  // top_k 1 after the penalty: the penalised leader loses its place.
  Sampler s = MakeSampler({.top_k = 1, .repeat_penalty = 4.0f, .seed = 1}, 3);
  s.Accept(0);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Greedy(s, {2.0f, 1.0f, 0.0f}), 1);
}

TEST(SamplerPenalty, ResetForgetsHistoryAndOutOfVocabIsIgnored) {
  Sampler s = MakeSampler({.temperature = 0.0f, .repeat_penalty = 2.0f}, 2);
  s.Accept(0);
  s.Accept(-1);
  s.Accept(2);
  EXPECT_EQ(Greedy(s, {2.0f, 1.5f}), 1);
  s.Reset();
  EXPECT_EQ(Greedy(s, {2.0f, 1.5f}), 0);
}

}  // namespace
}  // namespace shimmy
