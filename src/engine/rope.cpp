#include "engine/rope.h"

#include <algorithm>
#include <cmath>

namespace shimmy {
namespace {

// YaRN: the dimension whose wavelength fits `n_rot_ctx` rotations `beta`
// times in the original context (from the YaRN paper's correction range).
double CorrDim(int n_rot, int n_ctx_orig, double beta, double base) {
  return n_rot * std::log(n_ctx_orig / (beta * 2.0 * M_PI)) / (2.0 * std::log(base));
}

}  // namespace

Rope::Rope(const RopeParams& p, const float* freq_factors, bool sliding)
    : style_(p.style), n_rot_(p.n_rot) {
  const double base = sliding ? p.freq_base_swa : p.freq_base;
  const bool unscaled = sliding && p.swa_unscaled;
  const RopeScaling scaling = unscaled ? RopeScaling::kNone : p.scaling;
  const int n_pairs = n_rot_ / 2;
  inv_freq_.resize(static_cast<size_t>(n_pairs));
  ramp_.assign(static_cast<size_t>(n_pairs), 0.0);
  for (int i = 0; i < n_pairs; ++i) {
    double f = std::pow(base, -2.0 * i / n_rot_);
    if (freq_factors != nullptr && !unscaled) f /= freq_factors[i];
    inv_freq_[static_cast<size_t>(i)] = f;
  }
  if (scaling == RopeScaling::kLinear || scaling == RopeScaling::kYarn) {
    freq_scale_ = 1.0 / p.scale_factor;
  }
  if (scaling == RopeScaling::kYarn) {
    const double ext = p.yarn_ext_factor < 0 ? 1.0 : p.yarn_ext_factor;
    const double lo = std::max(0.0, std::floor(CorrDim(n_rot_, p.n_ctx_orig, p.yarn_beta_fast, base)));
    const double hi = std::min(n_rot_ - 1.0, std::ceil(CorrDim(n_rot_, p.n_ctx_orig, p.yarn_beta_slow, base)));
    for (int i = 0; i < n_pairs; ++i) {
      const double y = (i - lo) / std::max(0.001, hi - lo);
      ramp_[static_cast<size_t>(i)] = (1.0 - std::clamp(y, 0.0, 1.0)) * ext;
    }
    mscale_ = p.yarn_attn_factor;
    if (ext != 0.0) mscale_ *= 1.0 + 0.1 * std::log(1.0 / freq_scale_);
  }
}

void Rope::Angles(int32_t pos, float* cos_out, float* sin_out) const {
  for (size_t i = 0; i < inv_freq_.size(); ++i) {
    const double extrap = pos * inv_freq_[i];
    const double interp = extrap * freq_scale_;
    const double theta = interp * (1.0 - ramp_[i]) + extrap * ramp_[i];
    cos_out[i] = static_cast<float>(std::cos(theta) * mscale_);
    sin_out[i] = static_cast<float>(std::sin(theta) * mscale_);
  }
}

void Rope::Apply(float* head, const float* cos_v, const float* sin_v) const {
  const int n_pairs = n_rot_ / 2;
  if (style_ == RopeStyle::kNorm) {
    for (int i = 0; i < n_pairs; ++i) {
      const float a = head[2 * i], b = head[2 * i + 1];
      head[2 * i] = a * cos_v[i] - b * sin_v[i];
      head[2 * i + 1] = a * sin_v[i] + b * cos_v[i];
    }
  } else {
    for (int i = 0; i < n_pairs; ++i) {
      const float a = head[i], b = head[i + n_pairs];
      head[i] = a * cos_v[i] - b * sin_v[i];
      head[i + n_pairs] = a * sin_v[i] + b * cos_v[i];
    }
  }
}

}  // namespace shimmy
