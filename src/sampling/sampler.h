// Turns one row of logits into the next token of one sequence.
//
//   auto sampler = Sampler::Create(params, n_vocab);      // Result<Sampler>
//   if (!sampler) return sampler.error();
//   for (;;) {
//     std::span<float> row = model.Logits(seq);            // n_vocab floats
//     Result<TokenId> token = sampler->Sample(row, &logprobs);
//     if (!token) ...;
//     sampler->Accept(*token);                             // feeds penalties
//   }
//
// The chain, in order: logit bias -> repeat penalty -> presence/frequency
// penalties -> top-k -> top-p -> min-p -> temperature -> seeded random draw.
// temperature <= 0 instead takes the argmax after bias and penalties (lowest
// id among equal logits); the truncation filters then do not matter.
//
// Filter details (p = softmax of the biased, penalised logits at temperature
// 1, i.e. the filters run before temperature):
//  - top-k keeps the k most likely tokens;
//  - top-p keeps the shortest most-likely-first prefix of the top-k survivors
//    whose probability (renormalised over those survivors) reaches top_p,
//    including the token that crosses it;
//  - min-p keeps tokens with p >= min_p * p_max;
//  - at least the most likely token always survives.
// Penalties use the last penalty_last_n accepted tokens: repeat divides a
// positive logit by repeat_penalty and multiplies a negative one; then, as
// OpenAI defines them, logit -= count * frequency_penalty + presence_penalty
// for every token with count > 0 occurrences.
//
// Logprobs (the choice made here, as OpenAI and vLLM report them): the log
// softmax of the RAW logits passed to Sample - before bias, penalties,
// temperature and truncation - for the chosen token and the n_top_logprobs
// most likely tokens. They describe the model, not the sampler settings.
//
// Ownership and threads: one Sampler per sequence, used by one thread at a
// time; it owns its RNG (std::mt19937_64, reproducible for a given seed on
// every platform: the uniform draw is computed by hand) and scratch buffers
// that grow to their high-water mark and are then reused (no allocation per
// call in steady state).
//
// Cost per Sample on an n-token row: greedy, one pass; with top-k, one pass
// plus a heap of k; top-p without top-k, two passes plus an expected-linear
// selection over the tokens near the top (no sort); plain sampling (no
// top-k/top-p), one pass of expf into a buffer of n_vocab floats. Logprobs
// add two passes.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sampling/candidates.h"
#include "sampling/penalty_window.h"
#include "sampling/sampling_params.h"

namespace shimmy {

struct TokenLogprob {
  TokenId id = 0;
  float logprob = 0.0f;  // natural log; -inf for a token the model rules out
};

struct SampleLogprobs {
  TokenLogprob chosen;
  std::vector<TokenLogprob> top;  // n_top_logprobs best, most likely first
};

class Sampler {
 public:
  // Validates `params` against the vocabulary (see ValidateSamplingParams).
  static Result<Sampler> Create(SamplingParams params, int32_t n_vocab);

  // Picks the next token from `logits` (exactly n_vocab values). The row is
  // used as scratch: bias and penalties are applied in place, so its contents
  // are unspecified afterwards. Fills `logprobs` when non-null (its vector's
  // capacity is reused). Errors: wrong row length, a +inf logit, or no token
  // left to choose (every logit -inf or NaN, e.g. all banned by logit_bias).
  Result<TokenId> Sample(std::span<float> logits, SampleLogprobs* logprobs = nullptr);

  // Records a token of the sequence for the penalties. Call it for every
  // generated token (and for prompt tokens too, if the prompt should count).
  // Ids outside the vocabulary are ignored.
  void Accept(TokenId token);

  // Forgets the history and restarts the RNG from the original seed.
  void Reset();

  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }
  uint64_t seed() const { return seed_; }

 private:
  Sampler(SamplingParams params, int32_t n_vocab, uint64_t seed);

  // Raw log-softmax statistics gathered before the row is modified.
  void TopLogprobs(std::span<const float> logits, SampleLogprobs* out);
  void ApplyBiasAndPenalties(std::span<float> logits);
  // The value `id` had before ApplyBiasAndPenalties touched it.
  float RawLogit(std::span<const float> logits, TokenId id) const;
  TokenId SampleTruncated(std::span<const float> logits, float max_logit);
  TokenId SampleFullRow(std::span<const float> logits, float max_logit, float floor);
  double Uniform01();

  SamplingParams params_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  PenaltyWindow history_;

  // Scratch reused across calls.
  std::vector<Candidate> cands_;
  std::vector<float> weights_;                        // full-row path only; n_vocab once used
  std::vector<std::pair<TokenId, float>> raw_saved_;  // (id, raw logit) of modified tokens
  double raw_log_z_ = 0.0;                            // log-sum-exp of the raw row
};

}  // namespace shimmy
