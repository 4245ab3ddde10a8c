#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sampler_test_util.h"
#include "sampling/candidates.h"

namespace shimmy {
namespace {

using testing::ChiSquare;
using testing::Histogram;
using testing::LogitsFromProbs;
using testing::MakeSampler;

const std::vector<double> kFour = {0.5, 0.3, 0.15, 0.05};

std::vector<int> Drawn(const std::vector<int>& counts) {
  std::vector<int> ids;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) ids.push_back(static_cast<int>(i));
  }
  return ids;
}

TEST(Sampler, GreedyTakesArgmaxAndLowestIdOnTies) {
  Sampler s = MakeSampler({.temperature = 0.0f}, 5);
  std::vector<float> row = {0.1f, 2.0f, -1.0f, 2.0f, 1.9f};
  EXPECT_EQ(*s.Sample(row), 1);
  row = {NAN, -INFINITY, 0.5f, 0.4f, 0.5f};
  EXPECT_EQ(*s.Sample(row), 2);
  Sampler negative_t = MakeSampler({.temperature = -1.0f}, 3);
  row = {0.0f, 0.0f, 3.0f};
  EXPECT_EQ(*negative_t.Sample(row), 2);
}

TEST(Sampler, GreedyIgnoresTruncationButSeesBias) {
  SamplingParams p{.temperature = 0.0f, .top_k = 1, .top_p = 0.1f};
  p.logit_bias = {{0, -INFINITY}, {2, 0.5f}};
  Sampler s = MakeSampler(p, 4);
  std::vector<float> row = {5.0f, 1.0f, 0.8f, 0.0f};  // 0 banned; 2 -> 1.3
  EXPECT_EQ(*s.Sample(row), 2);
}

TEST(Sampler, TopKKeepsExactlyK) {
  const std::vector<float> logits = LogitsFromProbs({0.3, 0.25, 0.2, 0.15, 0.1});
  EXPECT_EQ(Drawn(Histogram({.top_k = 3}, logits, 3000)), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(Drawn(Histogram({.top_k = 1}, logits, 200)), (std::vector<int>{0}));
  EXPECT_EQ(Drawn(Histogram({.top_k = 5}, logits, 3000)).size(), 5u);
}

TEST(Sampler, TopPIsInclusiveOfTheCrossingToken) {
  const std::vector<float> logits = LogitsFromProbs(kFour);
  EXPECT_EQ(Drawn(Histogram({.top_p = 0.45f}, logits, 500)), (std::vector<int>{0}));
  EXPECT_EQ(Drawn(Histogram({.top_p = 0.55f}, logits, 3000)), (std::vector<int>{0, 1}));
  EXPECT_EQ(Drawn(Histogram({.top_p = 0.79f}, logits, 3000)), (std::vector<int>{0, 1}));
  EXPECT_EQ(Drawn(Histogram({.top_p = 0.81f}, logits, 3000)), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(Drawn(Histogram({.top_p = 0.0f}, logits, 500)), (std::vector<int>{0}));
}

TEST(Sampler, MinPIsRelativeToTheMostLikelyToken) {
  const std::vector<float> logits = LogitsFromProbs(kFour);
  // p >= 0.5 * 0.5 = 0.25 keeps 0.5 and 0.3.
  EXPECT_EQ(Drawn(Histogram({.min_p = 0.5f}, logits, 3000)), (std::vector<int>{0, 1}));
  // p >= 0.2 * 0.5 = 0.1 keeps 0.15 as well.
  EXPECT_EQ(Drawn(Histogram({.min_p = 0.2f}, logits, 3000)), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(Drawn(Histogram({.min_p = 1.0f}, logits, 500)), (std::vector<int>{0}));
}

TEST(Sampler, TopPMeasuresMassWithinTheTopKSurvivors) {
  const std::vector<float> logits = LogitsFromProbs({0.4, 0.3, 0.2, 0.1});
  // Alone, top_p 0.5 needs 0.4 + 0.3. After top_k 2 the survivors renormalise
  // to 0.571 / 0.429, and the first already reaches 0.5.
  EXPECT_EQ(Drawn(Histogram({.top_p = 0.5f}, logits, 3000)), (std::vector<int>{0, 1}));
  EXPECT_EQ(Drawn(Histogram({.top_k = 2, .top_p = 0.5f}, logits, 500)), (std::vector<int>{0}));
  // All three filters together: top_k 3 -> top_p 0.9 (needs all 3) -> min_p 0.6
  // (p >= 0.24 of the max 0.4) leaves 0 and 1.
  EXPECT_EQ(Drawn(Histogram({.top_k = 3, .top_p = 0.9f, .min_p = 0.6f}, logits, 3000)),
            (std::vector<int>{0, 1}));
}

TEST(Sampler, TemperatureAppliesAfterTruncation) {
  const std::vector<float> logits = LogitsFromProbs(kFour);
  // top_p 0.75 keeps {0, 1} whatever the temperature; at T = 5 the two are
  // drawn in proportion p^(1/5).
  const std::vector<int> counts = Histogram({.temperature = 5.0f, .top_p = 0.75f}, logits, 20000);
  EXPECT_EQ(Drawn(counts), (std::vector<int>{0, 1}));
  const double w0 = std::pow(0.5, 0.2), w1 = std::pow(0.3, 0.2);
  const std::vector<double> expected = {w0 / (w0 + w1), w1 / (w0 + w1), 0, 0};
  EXPECT_LT(ChiSquare(counts, expected), 10.83);  // 1 dof, p = 0.001
}

TEST(Sampler, FrequenciesMatchTheDistribution) {
  const std::vector<double> probs = {0.5, 0.25, 0.15, 0.1};
  const std::vector<float> logits = LogitsFromProbs(probs);
  // Plain sampling (full-row path), fixed seed: deterministic. 3 dof, p = 0.001.
  EXPECT_LT(ChiSquare(Histogram({.seed = 42}, logits, 20000), probs), 16.27);
  // The same distribution through the candidate path (top_k < n_vocab).
  std::vector<float> padded = logits;
  padded.push_back(-INFINITY);
  padded.push_back(-INFINITY);
  std::vector<double> padded_probs = probs;
  padded_probs.push_back(0);
  padded_probs.push_back(0);
  EXPECT_LT(ChiSquare(Histogram({.top_k = 5, .seed = 42}, padded, 20000), padded_probs), 16.27);
  // Temperature 0.5 squares the probabilities (then renormalises).
  std::vector<double> squared;
  double sum = 0;
  for (double p : probs) sum += p * p;
  for (double p : probs) squared.push_back(p * p / sum);
  EXPECT_LT(ChiSquare(Histogram({.temperature = 0.5f, .seed = 7}, logits, 20000), squared), 16.27);
}

TEST(Sampler, SameSeedSameTokensAndResetReplays) {
  const std::vector<float> logits = LogitsFromProbs({0.2, 0.2, 0.2, 0.2, 0.2});
  auto run = [&](Sampler& s) {
    std::vector<TokenId> out;
    for (int i = 0; i < 200; ++i) {
      std::vector<float> row = logits;
      out.push_back(*s.Sample(row));
    }
    return out;
  };
  Sampler a = MakeSampler({.seed = 99}, 5);
  Sampler b = MakeSampler({.seed = 99}, 5);
  Sampler c = MakeSampler({.seed = 100}, 5);
  const std::vector<TokenId> first = run(a);
  EXPECT_EQ(first, run(b));
  EXPECT_NE(first, run(c));
  a.Reset();
  EXPECT_EQ(first, run(a));
  EXPECT_EQ(a.seed(), 99u);
}

TEST(Sampler, NegativeInfinityBiasBansAToken) {
  const std::vector<float> logits = LogitsFromProbs({0.7, 0.2, 0.1});
  SamplingParams p;
  p.logit_bias = {{0, -INFINITY}};
  EXPECT_EQ(Drawn(Histogram(p, logits, 2000)), (std::vector<int>{1, 2}));
  p.top_k = 1;
  EXPECT_EQ(Drawn(Histogram(p, logits, 100)), (std::vector<int>{1}));
  p.top_k = 0;
  p.top_p = 0.5f;
  EXPECT_EQ(Drawn(Histogram(p, logits, 100)), (std::vector<int>{1}));
}

TEST(Sampler, PositiveBiasShiftsTheDistribution) {
  const std::vector<float> logits = LogitsFromProbs({0.5, 0.5});
  SamplingParams p{.seed = 5};
  p.logit_bias = {{1, std::log(3.0f)}};  // odds 1:3
  EXPECT_LT(ChiSquare(Histogram(p, logits, 20000), {0.25, 0.75}), 10.83);
}

TEST(Sampler, AllTokensBannedIsAnError) {
  SamplingParams p;
  p.logit_bias = {{0, -INFINITY}, {1, -INFINITY}};
  Sampler s = MakeSampler(p, 2);
  std::vector<float> row = {1.0f, 2.0f};
  Result<TokenId> token = s.Sample(row);
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message().find("logit_bias"), std::string::npos);
}

TEST(Sampler, BadRowsAreErrors) {
  Sampler s = MakeSampler({}, 3);
  std::vector<float> short_row = {1.0f, 2.0f};
  EXPECT_FALSE(s.Sample(short_row).ok());
  std::vector<float> inf_row = {1.0f, INFINITY, 0.0f};
  EXPECT_FALSE(s.Sample(inf_row).ok());
}

TEST(Sampler, InvalidParamsAreRejected) {
  EXPECT_FALSE(Sampler::Create({.top_p = 1.5f}, 10).ok());
  EXPECT_FALSE(Sampler::Create({.min_p = -0.1f}, 10).ok());
  EXPECT_FALSE(Sampler::Create({.repeat_penalty = 0.0f}, 10).ok());
  EXPECT_FALSE(Sampler::Create({.temperature = NAN}, 10).ok());
  EXPECT_FALSE(Sampler::Create({.n_top_logprobs = 21}, 10).ok());
  EXPECT_FALSE(Sampler::Create({}, 0).ok());
  SamplingParams out_of_vocab;
  out_of_vocab.logit_bias = {{10, 1.0f}};
  EXPECT_FALSE(Sampler::Create(out_of_vocab, 10).ok());
  SamplingParams plus_inf;
  plus_inf.logit_bias = {{1, INFINITY}};
  Result<Sampler> s = Sampler::Create(plus_inf, 10);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("logit_bias"), std::string::npos);
}

TEST(Sampler, LogprobsDescribeTheRawDistribution) {
  const std::vector<double> probs = {0.1, 0.5, 0.25, 0.15};
  const std::vector<float> logits = LogitsFromProbs(probs);
  SamplingParams p{.temperature = 0.3f, .top_k = 2, .seed = 1, .n_top_logprobs = 4};
  p.logit_bias = {{1, -INFINITY}};  // the sampler may never pick 1...
  Sampler s = MakeSampler(p, 4);
  SampleLogprobs lp;
  for (int i = 0; i < 50; ++i) {
    std::vector<float> row = logits;
    // Shift the row: logprobs must not depend on the logits' offset.
    for (float& l : row) l += 7.0f;
    const TokenId token = *s.Sample(row, &lp);
    EXPECT_NE(token, 1);
    EXPECT_EQ(lp.chosen.id, token);
    EXPECT_NEAR(lp.chosen.logprob, std::log(probs[static_cast<size_t>(token)]), 1e-5);
    // ...but the report is about the model: 1 still leads with log(0.5).
    ASSERT_EQ(lp.top.size(), 4u);
    const TokenId order[] = {1, 2, 3, 0};
    double total = 0;
    for (size_t j = 0; j < 4; ++j) {
      EXPECT_EQ(lp.top[j].id, order[j]);
      EXPECT_NEAR(lp.top[j].logprob, std::log(probs[static_cast<size_t>(order[j])]), 1e-5);
      total += std::exp(lp.top[j].logprob);
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

TEST(Sampler, LogprobsTopNIsTruncatedAndChosenIsAlwaysReported) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 97) * 0.01f;
  Sampler s = MakeSampler({.temperature = 0.0f, .n_top_logprobs = 3}, 1000);
  SampleLogprobs lp;
  std::vector<float> row = logits;
  const TokenId token = *s.Sample(row, &lp);
  EXPECT_EQ(token, 96);
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].id, 96);
  EXPECT_EQ(lp.top[1].id, 193);
  EXPECT_EQ(lp.chosen.logprob, lp.top[0].logprob);
  EXPECT_LT(lp.chosen.logprob, 0.0f);
  Sampler no_top = MakeSampler({.temperature = 0.0f}, 1000);
  row = logits;
  ASSERT_TRUE(no_top.Sample(row, &lp).ok());
  EXPECT_TRUE(lp.top.empty());
}

// A realistic row: 256k tokens, a peaked head and a long tail.
std::vector<float> BigRow(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> row(256000);
  for (float& l : row) l = dist(rng);
  for (int i = 0; i < 20; ++i) row[static_cast<size_t>(rng() % row.size())] += 8.0f;
  return row;
}

TEST(Sampler, LargeVocabularyPicksFromTheNucleus) {
  const std::vector<float> logits = BigRow(17);
  std::vector<Candidate> ref;
  SelectTopK(logits, static_cast<int32_t>(logits.size()), ref);  // full order
  double z = 0;
  for (const Candidate& c : ref) z += std::exp(static_cast<double>(c.logit - ref[0].logit));
  // Reference nucleus for top_p 0.9 by brute force.
  size_t nucleus = 0;
  for (double cum = 0; nucleus < ref.size() && cum < 0.9 * z; ++nucleus) {
    cum += std::exp(static_cast<double>(ref[nucleus].logit - ref[0].logit));
  }
  std::vector<TokenId> allowed;
  for (size_t i = 0; i < nucleus; ++i) allowed.push_back(ref[i].id);
  std::sort(allowed.begin(), allowed.end());

  Sampler top_p = MakeSampler({.top_p = 0.9f, .seed = 3}, 256000);
  Sampler chain = MakeSampler({.top_k = 40, .top_p = 0.95f, .min_p = 0.05f, .seed = 3}, 256000);
  std::vector<float> row;
  for (int i = 0; i < 50; ++i) {
    row = logits;
    const TokenId t = *top_p.Sample(row);
    EXPECT_TRUE(std::binary_search(allowed.begin(), allowed.end(), t)) << t;
    row = logits;
    const TokenId u = *chain.Sample(row);
    const auto rank = std::find_if(ref.begin(), ref.end(), [&](auto& c) { return c.id == u; });
    EXPECT_LT(rank - ref.begin(), 40);
  }
}

}  // namespace
}  // namespace shimmy
