#include "sampling/sampling_params.h"

#include <cmath>
#include <string>

namespace shimmy {
namespace {

Error RangeError(const char* field, const char* range, double value) {
  return Error(std::string(field) + " must be " + range + ", got " + std::to_string(value));
}

}  // namespace

Status ValidateSamplingParams(const SamplingParams& p, int32_t n_vocab) {
  if (n_vocab <= 0) return Error("vocabulary is empty");
  if (!std::isfinite(p.temperature)) return RangeError("temperature", "finite", p.temperature);
  if (!(p.top_p >= 0.0f && p.top_p <= 1.0f)) return RangeError("top_p", "in [0, 1]", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) return RangeError("min_p", "in [0, 1]", p.min_p);
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) {
    return RangeError("repeat_penalty", "positive and finite", p.repeat_penalty);
  }
  if (!std::isfinite(p.presence_penalty)) {
    return RangeError("presence_penalty", "finite", p.presence_penalty);
  }
  if (!std::isfinite(p.frequency_penalty)) {
    return RangeError("frequency_penalty", "finite", p.frequency_penalty);
  }
  if (p.n_top_logprobs < 0 || p.n_top_logprobs > kMaxTopLogprobs) {
    return RangeError("top_logprobs", "in [0, 20]", p.n_top_logprobs);
  }
  for (const auto& [id, bias] : p.logit_bias) {
    if (id < 0 || id >= n_vocab) {
      return Error("logit_bias: token " + std::to_string(id) + " is outside the vocabulary of " +
                   std::to_string(n_vocab) + " tokens");
    }
    // +inf would make every other probability NaN; -inf is the way to ban.
    if (std::isnan(bias) || bias == INFINITY) {
      return Error("logit_bias: bias for token " + std::to_string(id) +
                   " must be finite or -infinity");
    }
  }
  return {};
}

}  // namespace shimmy
