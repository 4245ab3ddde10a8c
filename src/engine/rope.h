// Rotary position embeddings: the angle table for a position and the
// rotation of one head, in both pair layouts. Supports linear scaling,
// YaRN, and per-dimension frequency divisors (rope_freqs, Llama 3.1+).
#pragma once

#include <cstdint>
#include <vector>

#include "model/hparams.h"

namespace shimmy {

class Rope {
 public:
  // `freq_factors` (n_rot/2 values) may be null. `sliding` selects the
  // sliding-window layers' base (and drops scaling where the model says so).
  Rope(const RopeParams& p, const float* freq_factors, bool sliding);

  // cos/sin for every rotated pair at `pos` (n_rot/2 each).
  void Angles(int32_t pos, float* cos_out, float* sin_out) const;
  // Rotates one head of `head_dim` values in place (first n_rot rotated).
  void Apply(float* head, const float* cos_v, const float* sin_v) const;

  int n_pairs() const { return n_rot_ / 2; }

 private:
  RopeStyle style_;
  int n_rot_;
  std::vector<double> inv_freq_;  // per pair, before scaling
  std::vector<double> ramp_;      // YaRN mix of extrapolation per pair (0: none)
  double freq_scale_ = 1.0;
  double mscale_ = 1.0;
};

}  // namespace shimmy
