// SIMD versions of kernels/ops.h, compiled once per Highway target.
// Vectors are the widest the target has; the last partial vector of a row
// goes through a zero-padded buffer so every element sees the same math.

#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// clang-format off: foreach_target.h must come first, then highway.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/ops.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DFull = hn::ScalableTag<float>;
using VFull = hn::Vec<DFull>;
constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);

// Calls fn(vector of x[i..], i) for every full vector, then once for the
// padded tail; fn returns the vector to store at out[i..] (out may be null).
template <class Fn>
HWY_INLINE void ForEachVector(const float* x, int64_t n, float pad, float* out, const Fn& fn) {
  const DFull d;
  const size_t lanes = hn::Lanes(d);
  const size_t size = static_cast<size_t>(n);
  size_t i = 0;
  for (; i + lanes <= size; i += lanes) {
    const VFull r = fn(hn::LoadU(d, x + i), i);
    if (out != nullptr) hn::StoreU(r, d, out + i);
  }
  if (i < size) {
    alignas(64) float buf[kMaxLanes];
    std::fill(buf, buf + lanes, pad);
    std::memcpy(buf, x + i, (size - i) * sizeof(float));
    const VFull r = fn(hn::Load(d, buf), i);
    if (out != nullptr) {
      hn::Store(r, d, buf);
      std::memcpy(out + i, buf, (size - i) * sizeof(float));
    }
  }
}

// As ForEachVector for two inputs (padded with zeros).
template <class Fn>
HWY_INLINE void ForEachVector2(const float* a, const float* b, int64_t n, float* out,
                               const Fn& fn) {
  const DFull d;
  const size_t lanes = hn::Lanes(d);
  const size_t size = static_cast<size_t>(n);
  size_t i = 0;
  for (; i + lanes <= size; i += lanes)
    hn::StoreU(fn(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i);
  if (i < size) {
    alignas(64) float ba[kMaxLanes] = {}, bb[kMaxLanes] = {};
    std::memcpy(ba, a + i, (size - i) * sizeof(float));
    std::memcpy(bb, b + i, (size - i) * sizeof(float));
    hn::Store(fn(hn::Load(d, ba), hn::Load(d, bb)), d, ba);
    std::memcpy(out + i, ba, (size - i) * sizeof(float));
  }
}

void RmsNormImpl(const float* x, const float* weight, int64_t n, float eps, float* out) {
  const DFull d;
  VFull sum = hn::Zero(d);
  ForEachVector(x, n, 0.0f, nullptr, [&](VFull v, size_t) HWY_ATTR {
    sum = hn::MulAdd(v, v, sum);
    return v;
  });
  const float mean = hn::GetLane(hn::SumOfLanes(d, sum)) / static_cast<float>(n);
  const VFull scale = hn::Set(d, 1.0f / std::sqrt(mean + eps));
  if (weight == nullptr) {
    ForEachVector(x, n, 0.0f, out, [&](VFull v, size_t) HWY_ATTR { return hn::Mul(v, scale); });
  } else {
    ForEachVector2(x, weight, n, out,
                   [&](VFull v, VFull w) HWY_ATTR { return hn::Mul(hn::Mul(v, scale), w); });
  }
}

void SoftmaxImpl(float* x, int64_t n) {
  const DFull d;
  VFull vmax = hn::Set(d, -INFINITY);
  ForEachVector(x, n, -INFINITY, nullptr, [&](VFull v, size_t) HWY_ATTR {
    vmax = hn::Max(vmax, v);
    return v;
  });
  const VFull max = hn::MaxOfLanes(d, vmax);
  VFull sum = hn::Zero(d);
  // Padding lanes are -inf: exp gives 0 and they add nothing to the sum.
  ForEachVector(x, n, -INFINITY, x, [&](VFull v, size_t) HWY_ATTR {
    const VFull e = hn::Exp(d, hn::Sub(v, max));
    sum = hn::Add(sum, e);
    return e;
  });
  const VFull inv = hn::Set(d, 1.0f / hn::GetLane(hn::SumOfLanes(d, sum)));
  ForEachVector(x, n, 0.0f, x, [&](VFull v, size_t) HWY_ATTR { return hn::Mul(v, inv); });
}

void SiluMulImpl(const float* gate, const float* up, int64_t n, float* out) {
  const DFull d;
  const VFull one = hn::Set(d, 1.0f);
  ForEachVector2(gate, up, n, out, [&](VFull g, VFull u) HWY_ATTR {
    // sigmoid from e = exp(-|g|) in (0, 1], which cannot overflow.
    const VFull e = hn::Exp(d, hn::Neg(hn::Abs(g)));
    const VFull inv = one / hn::Add(one, e);
    const VFull sig = hn::IfThenElse(g >= hn::Zero(d), inv, hn::Mul(e, inv));
    return hn::Mul(hn::Mul(g, sig), u);
  });
}

void AddImpl(const float* a, const float* b, int64_t n, float* out) {
  ForEachVector2(a, b, n, out, [](VFull x, VFull y) HWY_ATTR { return hn::Add(x, y); });
}

void ScaleImpl(float* x, int64_t n, float scale) {
  const VFull s = hn::Set(DFull(), scale);
  ForEachVector(x, n, 0.0f, x, [&](VFull v, size_t) HWY_ATTR { return hn::Mul(v, s); });
}

float DotImpl(const float* a, const float* b, int64_t n) {
  const DFull d;
  const size_t lanes = hn::Lanes(d);
  const size_t size = static_cast<size_t>(n);
  VFull sum0 = hn::Zero(d), sum1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * lanes <= size; i += 2 * lanes) {
    sum0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), sum0);
    sum1 = hn::MulAdd(hn::LoadU(d, a + i + lanes), hn::LoadU(d, b + i + lanes), sum1);
  }
  for (; i + lanes <= size; i += lanes) sum0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), sum0);
  float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1)));
  for (; i < size; ++i) total += a[i] * b[i];
  return total;
}

void AddScaledImpl(float* y, const float* x, float a, int64_t n) {
  const DFull d;
  const VFull va = hn::Set(d, a);
  ForEachVector2(y, x, n, y, [&](VFull vy, VFull vx) HWY_ATTR { return hn::MulAdd(va, vx, vy); });
}

// Rows per tile in DotRows/WeightedSumRows: about 16 KiB of rows, so a tile
// stays in L1 while every query of the group passes over it.
HWY_INLINE int64_t RowTile(int64_t d) {
  return std::max<int64_t>(16, 4096 / std::max<int64_t>(d, 1));
}

HWY_INLINE float HSum(DFull df, VFull v) { return hn::GetLane(hn::SumOfLanes(df, v)); }

#if HWY_TARGET != HWY_SCALAR
// out[0..3] and out[4..7]: the sums of the 128-bit blocks of lo and hi,
// each of which holds 4 rows' partial sums (SumLanes8).
template <class D>
HWY_INLINE void StoreBlockSums(D d, hn::Vec<D> lo, hn::Vec<D> hi, float* out) {
  if constexpr (hn::MaxLanes(d) <= 4) {
    hn::StoreU(lo, d, out);
    hn::StoreU(hi, d, out + 4);
  } else if constexpr (hn::MaxLanes(d) == 8) {
    // [lo's low block, hi's high block] + [lo's high block, hi's low block]
    hn::StoreU(hn::Add(hn::ConcatUpperLower(d, hi, lo), hn::ConcatLowerUpper(d, hi, lo)), d, out);
  } else {
    const hn::Half<D> dh;
    StoreBlockSums(dh, hn::Add(hn::LowerHalf(dh, lo), hn::UpperHalf(dh, lo)),
                   hn::Add(hn::LowerHalf(dh, hi), hn::UpperHalf(dh, hi)), out);
  }
}

// out[u] = the sum of the lanes of a[u], u < 8, with the shuffles shared:
// a horizontal sum per vector was about half of DotRows' instructions (16
// lanes, head dim 64). Within each 128-bit block, adding the two
// interleavings of rows 2k and 2k+1 and then the two 64-bit interleavings
// of those pairs leaves rows 0-3 (lo) and 4-7 (hi) one lane each.
template <class D>
HWY_INLINE void SumLanes8(D d, const hn::Vec<D>* a, float* out) {
  const hn::Repartition<uint64_t, D> d64;
  const auto pairs = [d](hn::Vec<D> x, hn::Vec<D> y) {
    return hn::Add(hn::InterleaveLower(d, x, y), hn::InterleaveUpper(d, x, y));
  };
  const auto quads = [d, d64](hn::Vec<D> x, hn::Vec<D> y) {
    const auto x64 = hn::BitCast(d64, x), y64 = hn::BitCast(d64, y);
    return hn::Add(hn::BitCast(d, hn::InterleaveLower(d64, x64, y64)),
                   hn::BitCast(d, hn::InterleaveUpper(d64, x64, y64)));
  };
  StoreBlockSums(d, quads(pairs(a[0], a[1]), pairs(a[2], a[3])),
                 quads(pairs(a[4], a[5]), pairs(a[6], a[7])), out);
}
#else  // one lane: nothing to share
template <class D>
HWY_INLINE void SumLanes8(D d, const hn::Vec<D>* a, float* out) {
  for (int u = 0; u < 8; ++u) out[u] = hn::GetLane(hn::SumOfLanes(d, a[u]));
}
#endif

// Row pointer j of a gathered set.
HWY_INLINE const float* RowAt(const float* base, int64_t stride, const int* rows, int64_t j) {
  return base + static_cast<int64_t>(rows[j]) * stride;
}

void DotRowsImpl(const float* q, int64_t q_stride, int64_t n_q, const float* base, int64_t stride,
                 const int* rows, int64_t n_rows, int64_t d, float scale, float* scores) {
  const DFull df;
  const size_t lanes = hn::Lanes(df);
  const size_t dim = static_cast<size_t>(d);
  const size_t full = dim - dim % lanes;
  const int64_t tile = RowTile(d);
  for (int64_t j0 = 0; j0 < n_rows; j0 += tile) {
    const int64_t j1 = std::min(n_rows, j0 + tile);
    for (int64_t i = 0; i < n_q; ++i) {
      const float* qi = q + i * q_stride;
      float* s = scores + i * n_rows;
      int64_t j = j0;
      // Eight rows at once: eight independent FMA chains hide the latency.
      for (; j + 8 <= j1; j += 8) {
        const float* r0 = RowAt(base, stride, rows, j);
        const float* r1 = RowAt(base, stride, rows, j + 1);
        const float* r2 = RowAt(base, stride, rows, j + 2);
        const float* r3 = RowAt(base, stride, rows, j + 3);
        const float* r4 = RowAt(base, stride, rows, j + 4);
        const float* r5 = RowAt(base, stride, rows, j + 5);
        const float* r6 = RowAt(base, stride, rows, j + 6);
        const float* r7 = RowAt(base, stride, rows, j + 7);
        VFull a0 = hn::Zero(df), a1 = hn::Zero(df), a2 = hn::Zero(df), a3 = hn::Zero(df);
        VFull a4 = hn::Zero(df), a5 = hn::Zero(df), a6 = hn::Zero(df), a7 = hn::Zero(df);
        for (size_t x = 0; x < full; x += lanes) {
          const VFull qv = hn::LoadU(df, qi + x);
          a0 = hn::MulAdd(qv, hn::LoadU(df, r0 + x), a0);
          a1 = hn::MulAdd(qv, hn::LoadU(df, r1 + x), a1);
          a2 = hn::MulAdd(qv, hn::LoadU(df, r2 + x), a2);
          a3 = hn::MulAdd(qv, hn::LoadU(df, r3 + x), a3);
          a4 = hn::MulAdd(qv, hn::LoadU(df, r4 + x), a4);
          a5 = hn::MulAdd(qv, hn::LoadU(df, r5 + x), a5);
          a6 = hn::MulAdd(qv, hn::LoadU(df, r6 + x), a6);
          a7 = hn::MulAdd(qv, hn::LoadU(df, r7 + x), a7);
        }
        const VFull acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
        float t[8];
        SumLanes8(df, acc, t);
        const float* r[8] = {r0, r1, r2, r3, r4, r5, r6, r7};
        for (size_t x = full; x < dim; ++x) {
          for (int u = 0; u < 8; ++u) t[u] += qi[x] * r[u][x];
        }
        for (int u = 0; u < 8; ++u) s[j + u] = t[u] * scale;
      }
      for (; j < j1; ++j) {
        const float* r0 = RowAt(base, stride, rows, j);
        VFull a0 = hn::Zero(df);
        for (size_t x = 0; x < full; x += lanes) {
          a0 = hn::MulAdd(hn::LoadU(df, qi + x), hn::LoadU(df, r0 + x), a0);
        }
        float t = HSum(df, a0);
        for (size_t x = full; x < dim; ++x) t += qi[x] * r0[x];
        s[j] = t * scale;
      }
    }
  }
}

void WeightedSumRowsImpl(const float* w, int64_t n_q, const float* base, int64_t stride,
                         const int* rows, int64_t n_rows, int64_t d, float* out,
                         int64_t out_stride) {
  const DFull df;
  const size_t lanes = hn::Lanes(df);
  const size_t dim = static_cast<size_t>(d);
  for (int64_t i = 0; i < n_q; ++i) std::fill(out + i * out_stride, out + i * out_stride + d, 0.0f);
  const int64_t tile = RowTile(d);
  for (int64_t j0 = 0; j0 < n_rows; j0 += tile) {
    const int64_t j1 = std::min(n_rows, j0 + tile);
    for (int64_t i = 0; i < n_q; ++i) {
      const float* wi = w + i * n_rows;
      float* o = out + i * out_stride;
      size_t x = 0;
      // Four vectors of the output stay in registers over the tile; two
      // rows per step give eight independent FMA chains.
      for (; x + 4 * lanes <= dim; x += 4 * lanes) {
        VFull a0 = hn::LoadU(df, o + x), a1 = hn::LoadU(df, o + x + lanes);
        VFull a2 = hn::LoadU(df, o + x + 2 * lanes), a3 = hn::LoadU(df, o + x + 3 * lanes);
        VFull b0 = hn::Zero(df), b1 = hn::Zero(df), b2 = hn::Zero(df), b3 = hn::Zero(df);
        int64_t j = j0;
        for (; j + 2 <= j1; j += 2) {
          const float* r0 = RowAt(base, stride, rows, j) + x;
          const float* r1 = RowAt(base, stride, rows, j + 1) + x;
          const VFull w0 = hn::Set(df, wi[j]), w1 = hn::Set(df, wi[j + 1]);
          a0 = hn::MulAdd(w0, hn::LoadU(df, r0), a0);
          a1 = hn::MulAdd(w0, hn::LoadU(df, r0 + lanes), a1);
          a2 = hn::MulAdd(w0, hn::LoadU(df, r0 + 2 * lanes), a2);
          a3 = hn::MulAdd(w0, hn::LoadU(df, r0 + 3 * lanes), a3);
          b0 = hn::MulAdd(w1, hn::LoadU(df, r1), b0);
          b1 = hn::MulAdd(w1, hn::LoadU(df, r1 + lanes), b1);
          b2 = hn::MulAdd(w1, hn::LoadU(df, r1 + 2 * lanes), b2);
          b3 = hn::MulAdd(w1, hn::LoadU(df, r1 + 3 * lanes), b3);
        }
        if (j < j1) {
          const float* r0 = RowAt(base, stride, rows, j) + x;
          const VFull w0 = hn::Set(df, wi[j]);
          a0 = hn::MulAdd(w0, hn::LoadU(df, r0), a0);
          a1 = hn::MulAdd(w0, hn::LoadU(df, r0 + lanes), a1);
          a2 = hn::MulAdd(w0, hn::LoadU(df, r0 + 2 * lanes), a2);
          a3 = hn::MulAdd(w0, hn::LoadU(df, r0 + 3 * lanes), a3);
        }
        hn::StoreU(hn::Add(a0, b0), df, o + x);
        hn::StoreU(hn::Add(a1, b1), df, o + x + lanes);
        hn::StoreU(hn::Add(a2, b2), df, o + x + 2 * lanes);
        hn::StoreU(hn::Add(a3, b3), df, o + x + 3 * lanes);
      }
      for (; x + lanes <= dim; x += lanes) {
        VFull a0 = hn::LoadU(df, o + x);
        for (int64_t j = j0; j < j1; ++j) {
          a0 = hn::MulAdd(hn::Set(df, wi[j]), hn::LoadU(df, RowAt(base, stride, rows, j) + x), a0);
        }
        hn::StoreU(a0, df, o + x);
      }
      for (; x < dim; ++x) {
        float sum = o[x];
        for (int64_t j = j0; j < j1; ++j) sum += wi[j] * RowAt(base, stride, rows, j)[x];
        o[x] = sum;
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shimmy {

HWY_EXPORT(RmsNormImpl);
HWY_EXPORT(SoftmaxImpl);
HWY_EXPORT(SiluMulImpl);
HWY_EXPORT(AddImpl);
HWY_EXPORT(ScaleImpl);
HWY_EXPORT(DotImpl);
HWY_EXPORT(AddScaledImpl);
HWY_EXPORT(DotRowsImpl);
HWY_EXPORT(WeightedSumRowsImpl);

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  HWY_DYNAMIC_DISPATCH(RmsNormImpl)(x, weight, n, eps, out);
}
void Softmax(float* x, int64_t n) { HWY_DYNAMIC_DISPATCH(SoftmaxImpl)(x, n); }
void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(SiluMulImpl)(gate, up, n, out);
}
void Add(const float* a, const float* b, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(AddImpl)(a, b, n, out);
}
void Scale(float* x, int64_t n, float scale) { HWY_DYNAMIC_DISPATCH(ScaleImpl)(x, n, scale); }
float Dot(const float* a, const float* b, int64_t n) { return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, n); }
void AddScaled(float* y, const float* x, float a, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AddScaledImpl)(y, x, a, n);
}
void DotRows(const float* q, int64_t q_stride, int64_t n_q, const float* base, int64_t stride,
             const int* rows, int64_t n_rows, int64_t d, float scale, float* scores) {
  HWY_DYNAMIC_DISPATCH(DotRowsImpl)(q, q_stride, n_q, base, stride, rows, n_rows, d, scale, scores);
}
void WeightedSumRows(const float* w, int64_t n_q, const float* base, int64_t stride,
                     const int* rows, int64_t n_rows, int64_t d, float* out, int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(WeightedSumRowsImpl)(w, n_q, base, stride, rows, n_rows, d, out, out_stride);
}

}  // namespace shimmy
#endif  // HWY_ONCE
