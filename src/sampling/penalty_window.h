// The recent tokens of one sequence, as counts, for repetition penalties.
//
// Keeps the last `capacity` accepted tokens in a ring and an occurrence count
// per distinct token in that window, so applying penalties costs O(distinct
// tokens in the window) per step instead of a pass over the vocabulary.
//
// Thread-safety: none; owned by one Sampler. Cost: Push is O(1) amortised.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "sampling/sampling_params.h"

namespace shimmy {

class PenaltyWindow {
 public:
  // capacity 0: records nothing; < 0: unbounded (every token ever pushed).
  explicit PenaltyWindow(int32_t capacity = 0);

  void Push(TokenId token);
  void Clear();

  // token -> occurrences (> 0) within the window.
  const std::unordered_map<TokenId, int32_t>& counts() const { return counts_; }
  int64_t size() const { return size_; }

 private:
  int32_t capacity_;
  std::vector<TokenId> ring_;  // bounded windows only
  int64_t head_ = 0;           // index of the oldest token in ring_
  int64_t size_ = 0;
  std::unordered_map<TokenId, int32_t> counts_;
};

}  // namespace shimmy
