// Helpers shared by the sampler tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sampling/sampler.h"

namespace shimmy::testing {

inline std::vector<float> LogitsFromProbs(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(p > 0 ? static_cast<float>(std::log(p)) : -INFINITY);
  return logits;
}

inline Sampler MakeSampler(const SamplingParams& params, int32_t n_vocab) {
  Result<Sampler> sampler = Sampler::Create(params, n_vocab);
  EXPECT_TRUE(sampler.ok()) << sampler.error().message();
  return std::move(sampler).value();
}

// Samples `n_draws` times from fresh copies of `logits` (Sample modifies its
// row) and returns how often each token came up.
inline std::vector<int> Histogram(SamplingParams params, const std::vector<float>& logits,
                                  int n_draws) {
  if (!params.seed) params.seed = 1234;
  Sampler sampler = MakeSampler(params, static_cast<int32_t>(logits.size()));
  std::vector<int> counts(logits.size(), 0);
  std::vector<float> row;
  for (int i = 0; i < n_draws; ++i) {
    row = logits;
    Result<TokenId> token = sampler.Sample(row);
    EXPECT_TRUE(token.ok());
    if (token.ok()) counts[static_cast<size_t>(*token)]++;
  }
  return counts;
}

// Pearson's chi-square statistic of observed counts against probabilities.
inline double ChiSquare(const std::vector<int>& counts, const std::vector<double>& probs) {
  double total = 0;
  for (int c : counts) total += c;
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (probs[i] <= 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " should never be drawn";
      continue;
    }
    const double expected = probs[i] * total;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

}  // namespace shimmy::testing
