// Per-request sampling settings, in the units the OpenAI/Ollama APIs use.
// Defaults are neutral (plain softmax sampling at temperature 1): API
// adapters fill in their dialect's defaults; the sampler adds none.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "base/result.h"

namespace shimmy {

// Same type as the tokenizer's TokenId (sampling may not depend on tokenizer).
using TokenId = int32_t;

// How many alternatives a caller may ask for per position (OpenAI's limit).
inline constexpr int32_t kMaxTopLogprobs = 20;

struct SamplingParams {
  float temperature = 1.0f;  // <= 0: greedy (argmax after bias and penalties)
  int32_t top_k = 0;         // <= 0 or >= n_vocab: off
  float top_p = 1.0f;        // >= 1: off; keeps the smallest prefix with mass >= top_p
  float min_p = 0.0f;        // <= 0: off; drops p < min_p * p_max

  float repeat_penalty = 1.0f;     // 1: off; > 1 discourages repeats
  float presence_penalty = 0.0f;   // subtracted once from every seen token
  float frequency_penalty = 0.0f;  // subtracted once per occurrence
  int32_t penalty_last_n = 64;     // window for all penalties; 0: off, < 0: all

  std::optional<uint64_t> seed = std::nullopt;  // unset: seeded from std::random_device

  // Added to the logit of a token before anything else. -infinity bans it.
  std::unordered_map<TokenId, float> logit_bias = {};

  int32_t n_top_logprobs = 0;  // alternatives reported per token, 0..kMaxTopLogprobs
};

// Checks ranges against a vocabulary of n_vocab tokens; the message names the
// offending field ("top_p must be in [0, 1], got 1.5").
Status ValidateSamplingParams(const SamplingParams& params, int32_t n_vocab);

}  // namespace shimmy
