#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace shimmy {

Result<Sampler> Sampler::Create(SamplingParams params, int32_t n_vocab) {
  if (Status valid = ValidateSamplingParams(params, n_vocab); !valid) return valid.error();
  uint64_t seed = 0;
  if (params.seed) {
    seed = *params.seed;
  } else {
    std::random_device device;
    seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  return Sampler(std::move(params), n_vocab, seed);
}

Sampler::Sampler(SamplingParams params, int32_t n_vocab, uint64_t seed)
    : params_(std::move(params)),
      n_vocab_(n_vocab),
      seed_(seed),
      rng_(seed),
      history_(params_.penalty_last_n) {}

void Sampler::Accept(TokenId token) {
  if (token >= 0 && token < n_vocab_) history_.Push(token);
}

void Sampler::Reset() {
  history_.Clear();
  rng_.seed(seed_);
}

double Sampler::Uniform01() {
  // 53 random bits -> [0, 1). Not std::uniform_real_distribution, whose
  // algorithm differs between standard libraries.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

Result<TokenId> Sampler::Sample(std::span<float> logits, SampleLogprobs* logprobs) {
  if (logits.size() != static_cast<size_t>(n_vocab_)) {
    return Error("sampling: logits row has " + std::to_string(logits.size()) +
                 " values but the vocabulary has " + std::to_string(n_vocab_) + " tokens");
  }
  if (logprobs != nullptr) TopLogprobs(logits, logprobs);
  ApplyBiasAndPenalties(logits);

  const float max_logit = RowMax(logits);
  if (!(max_logit > -INFINITY)) {
    return Error(
        "sampling: no token can be chosen: every logit is -inf or NaN "
        "(does logit_bias ban the whole vocabulary?)");
  }
  if (max_logit == INFINITY) return Error("sampling: logits contain +inf");

  // A temperature so small that 1/T overflows is greedy in all but name.
  const bool greedy = !(params_.temperature > 0.0f && std::isfinite(1.0f / params_.temperature));
  const TokenId token = greedy ? FindFirst(logits, max_logit)  // lowest id among ties
                               : SampleTruncated(logits, max_logit);
  if (logprobs != nullptr) {
    logprobs->chosen = {token, static_cast<float>(RawLogit(logits, token) - raw_log_z_)};
  }
  return token;
}

void Sampler::TopLogprobs(std::span<const float> logits, SampleLogprobs* out) {
  const float max_logit = RowMax(logits);
  double sum = 0.0;
  if (std::isfinite(max_logit)) {
    for (const float l : logits) {
      if (l > -INFINITY) sum += std::exp(l - max_logit);
    }
  }
  raw_log_z_ = static_cast<double>(max_logit) + std::log(sum);
  out->top.clear();
  if (params_.n_top_logprobs > 0) {
    SelectTopK(logits, params_.n_top_logprobs, cands_);
    for (const Candidate& c : cands_) {
      out->top.push_back({c.id, static_cast<float>(c.logit - raw_log_z_)});
    }
  }
}

void Sampler::ApplyBiasAndPenalties(std::span<float> logits) {
  raw_saved_.clear();
  for (const auto& [id, bias] : params_.logit_bias) {
    float& l = logits[static_cast<size_t>(id)];
    raw_saved_.push_back({id, l});
    l += bias;
  }
  const float repeat = params_.repeat_penalty;
  const float presence = params_.presence_penalty;
  const float frequency = params_.frequency_penalty;
  if (repeat == 1.0f && presence == 0.0f && frequency == 0.0f) return;
  for (const auto& [id, count] : history_.counts()) {
    float& l = logits[static_cast<size_t>(id)];
    raw_saved_.push_back({id, l});
    if (repeat != 1.0f) l = l > 0.0f ? l / repeat : l * repeat;
    l -= static_cast<float>(count) * frequency + presence;
  }
}

float Sampler::RawLogit(std::span<const float> logits, TokenId id) const {
  // The first record of a token holds its value before any change.
  for (const auto& [saved_id, raw] : raw_saved_) {
    if (saved_id == id) return raw;
  }
  return logits[static_cast<size_t>(id)];
}

TokenId Sampler::SampleTruncated(std::span<const float> logits, float max_logit) {
  const SamplingParams& p = params_;
  // min-p in logit space: p_i >= min_p * p_max  <=>  l_i >= l_max + log(min_p).
  const float min_p_floor = p.min_p > 0.0f ? max_logit + std::log(p.min_p) : -INFINITY;
  const bool use_top_k = p.top_k > 0 && p.top_k < n_vocab_;
  const bool use_top_p = p.top_p < 1.0f;
  if (!use_top_k && !use_top_p) return SampleFullRow(logits, max_logit, min_p_floor);

  // top-p and min-p both keep a best-first prefix, so applying min-p first and
  // top-p second gives the same set as the documented order - provided top-p
  // still measures mass against the top-k survivors (z below), not against
  // the min-p survivors.
  size_t n_keep = 0;
  if (use_top_k) {
    SelectTopK(logits, p.top_k, cands_);  // best first
    double z = 0.0;
    for (const Candidate& c : cands_) z += std::exp(c.logit - max_logit);
    size_t n_min_p = 0;
    while (n_min_p < cands_.size() && cands_[n_min_p].logit >= min_p_floor) ++n_min_p;
    cands_.resize(n_min_p);
    n_keep =
        use_top_p ? TopPPrefix(cands_, max_logit, p.top_p * z, /*sorted=*/true) : cands_.size();
  } else {
    double z = 0.0;
    const float nucleus_floor = NucleusFloor(logits, max_logit, p.top_p, &z);
    cands_.clear();
    SelectAtLeast(logits, std::max(nucleus_floor, min_p_floor), cands_);
    n_keep = TopPPrefix(cands_, max_logit, p.top_p * z, /*sorted=*/false);
  }

  // Temperature, then the draw. Weights overwrite the logits in place.
  const float inv_t = 1.0f / p.temperature;
  double total = 0.0;
  for (size_t i = 0; i < n_keep; ++i) {
    cands_[i].logit = std::exp((cands_[i].logit - max_logit) * inv_t);
    total += cands_[i].logit;
  }
  const double u = Uniform01() * total;
  double cum = 0.0;
  for (size_t i = 0; i < n_keep; ++i) {
    cum += cands_[i].logit;
    if (u < cum) return cands_[i].id;
  }
  return cands_[n_keep - 1].id;  // u rounded up to total
}

TokenId Sampler::SampleFullRow(std::span<const float> logits, float max_logit, float floor) {
  // One pass of expf into a reused vocabulary-sized buffer (1 MB at 256k
  // tokens, small next to a sequence's KV cache), then a cheap cumulative walk.
  const float inv_t = 1.0f / params_.temperature;
  weights_.resize(logits.size());
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const float l = logits[i];
    const float w = l >= floor && l > -INFINITY ? std::exp((l - max_logit) * inv_t) : 0.0f;
    weights_[i] = w;
    total += w;
  }
  const double u = Uniform01() * total;
  double cum = 0.0;
  TokenId last = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (weights_[i] == 0.0f) continue;
    cum += weights_[i];
    last = static_cast<TokenId>(i);
    if (u < cum) return last;
  }
  return last;  // u rounded up to total
}

}  // namespace shimmy
