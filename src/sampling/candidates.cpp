#include "sampling/candidates.h"

#include <algorithm>
#include <cmath>

namespace shimmy {

float RowMax(std::span<const float> logits) {
  constexpr size_t kLanes = 8;
  float lane[kLanes];
  for (float& m : lane) m = -INFINITY;
  const size_t n = logits.size();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) {
      const float l = logits[i + j];
      lane[j] = l > lane[j] ? l : lane[j];  // NaN compares false: skipped
    }
  }
  float best = -INFINITY;
  for (const float m : lane) best = m > best ? m : best;
  for (; i < n; ++i) best = logits[i] > best ? logits[i] : best;
  return best;
}

TokenId FindFirst(std::span<const float> logits, float value) {
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] == value) return static_cast<TokenId>(i);
  }
  return -1;
}

void SelectTopK(std::span<const float> logits, int32_t k, std::vector<Candidate>& out) {
  out.clear();
  if (k <= 0) return;
  // Min-heap on RanksBefore: the front is the worst of the k kept so far, and
  // most tokens are rejected by one comparison against it.
  auto worse_on_top = [](const Candidate& a, const Candidate& b) { return RanksBefore(a, b); };
  const size_t kk = static_cast<size_t>(k);
  const TokenId n = static_cast<TokenId>(logits.size());
  TokenId i = 0;
  for (; i < n && out.size() < kk; ++i) {
    const float l = logits[static_cast<size_t>(i)];
    if (l > -INFINITY) {  // false for NaN too
      out.push_back({l, i});
      std::push_heap(out.begin(), out.end(), worse_on_top);
    }
  }
  if (out.size() == kk) {
    float threshold = out.front().logit;
    auto offer = [&](TokenId id) {
      const float l = logits[static_cast<size_t>(id)];
      // Ids increase, so an equal logit never outranks a kept token.
      if (!(l > threshold)) return;
      std::pop_heap(out.begin(), out.end(), worse_on_top);
      out.back() = {l, id};
      std::push_heap(out.begin(), out.end(), worse_on_top);
      threshold = out.front().logit;
    };
    // Whole blocks are skipped with one vectorised comparison: once the heap
    // has warmed up almost no block holds a contender.
    constexpr TokenId kBlock = 32;
    for (; i < n && i % kBlock != 0; ++i) offer(i);
    const float* data = logits.data();
    for (; i + kBlock <= n; i += kBlock) {
      const float* block = data + i;
      int any = 0;
      for (TokenId j = 0; j < kBlock; ++j) any |= block[j] > threshold;
      if (!any) continue;
      for (TokenId j = i; j < i + kBlock; ++j) offer(j);
    }
    for (; i < n; ++i) offer(i);
  }
  std::sort(out.begin(), out.end(), RanksBefore);
}

void SelectAtLeast(std::span<const float> logits, float floor, std::vector<Candidate>& out) {
  const TokenId n = static_cast<TokenId>(logits.size());
  for (TokenId i = 0; i < n; ++i) {
    const float l = logits[static_cast<size_t>(i)];
    if (l >= floor && l > -INFINITY) out.push_back({l, i});
  }
}

float NucleusFloor(std::span<const float> logits, float max_logit, float top_p, double* z) {
  // Bucket b holds tokens with (max_logit - logit) in [b, b+1) / kPerNat;
  // the last bucket takes everything further down.
  constexpr int kBuckets = 64;
  constexpr float kPerNat = 4.0f;
  double mass[kBuckets] = {};
  for (const float l : logits) {
    if (!(l > -INFINITY)) continue;
    const float d = (max_logit - l) * kPerNat;
    const int b = d < static_cast<float>(kBuckets - 1) ? static_cast<int>(d) : kBuckets - 1;
    mass[b] += std::exp(l - max_logit);  // float exp: ~4x cheaper, ample here
  }
  double total = 0.0;
  for (double m : mass) total += m;
  *z = total;
  // The buckets up to b already hold the target mass, so the nucleus (a
  // best-first prefix) ends inside them: anything below them is excluded.
  // The floor sits one bucket lower so float rounding cannot cut a member.
  const double target = static_cast<double>(top_p) * total;
  double cum = 0.0;
  for (int b = 0; b < kBuckets - 1; ++b) {
    cum += mass[b];
    if (cum >= target) return max_logit - static_cast<float>(b + 2) / kPerNat;
  }
  return -INFINITY;
}

namespace {

// Walks a best-first range, returning the index just past the element whose
// cumulative mass reaches `target`, or `end` when it is never reached.
size_t WalkToTarget(const std::vector<Candidate>& cands, size_t begin, size_t end, float max_logit,
                    double* mass, double target) {
  for (size_t i = begin; i < end; ++i) {
    *mass += std::exp(cands[i].logit - max_logit);
    if (*mass >= target) return i + 1;
  }
  return end;
}

}  // namespace

size_t TopPPrefix(std::vector<Candidate>& cands, float max_logit, double target_mass, bool sorted) {
  double mass = 0.0;
  if (sorted) return WalkToTarget(cands, 0, cands.size(), max_logit, &mass, target_mass);

  // Weighted quickselect: find the cut without ordering the nucleus.
  // Invariant: [0, lo) is kept (its mass is `mass` < target), [hi, n) is
  // dropped, the cut lies in [lo, hi). Expected O(n) exps and moves, even
  // when the nucleus is most of a flat 256k row (where sorting costs ~20 ms).
  size_t lo = 0;
  size_t hi = cands.size();
  while (lo < hi) {
    if (hi - lo <= 32) {
      std::sort(cands.begin() + lo, cands.begin() + hi, RanksBefore);
      return WalkToTarget(cands, lo, hi, max_logit, &mass, target_mass);
    }
    // Median-of-three pivot logit.
    float a = cands[lo].logit, b = cands[lo + (hi - lo) / 2].logit, c = cands[hi - 1].logit;
    if (a > b) std::swap(a, b);
    if (b > c) b = std::max(a, c);
    const float pivot = b;
    // Three-way partition: [lo, gt_end) > pivot, [gt_end, eq_end) == pivot,
    // [eq_end, hi) < pivot. Only the "greater" side needs its mass.
    size_t gt_end = lo, i = lo, lt_begin = hi;
    double gt_mass = 0.0;
    while (i < lt_begin) {
      const float l = cands[i].logit;
      if (l > pivot) {
        gt_mass += std::exp(l - max_logit);
        std::swap(cands[i++], cands[gt_end++]);
      } else if (l < pivot) {
        std::swap(cands[i], cands[--lt_begin]);
      } else {
        ++i;
      }
    }
    const size_t eq_end = lt_begin;
    if (mass + gt_mass >= target_mass) {
      hi = gt_end;  // the cut is among the larger logits
      continue;
    }
    mass += gt_mass;
    const double eq_mass = static_cast<double>(eq_end - gt_end) * std::exp(pivot - max_logit);
    if (mass + eq_mass >= target_mass) {
      // The cut is inside a run of equal logits: lowest ids first.
      std::sort(cands.begin() + gt_end, cands.begin() + eq_end, RanksBefore);
      return WalkToTarget(cands, gt_end, eq_end, max_logit, &mass, target_mass);
    }
    mass += eq_mass;
    lo = eq_end;
  }
  return lo;
}

}  // namespace shimmy
