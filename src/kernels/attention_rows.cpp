// SIMD versions of kernels/attention_rows.h, compiled once per Highway
// target, each templated over how one cached row's values are read
// (F32Row, F16Row, Q8_0Row below).

#include "kernels/attention_rows.h"

#include <algorithm>
#include <cstring>

#include "quant/block_types.h"
#include "tensor/half.h"

// clang-format off: foreach_target.h must come first, then highway.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention_rows.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DFull = hn::ScalableTag<float>;
using VFull = hn::Vec<DFull>;

// Row formats. Load gives values [x, x + lanes) of a row as floats, At one
// value. A block-scaled format's Load leaves out the scale its block of
// kBlock values shares (Scale gives it), so the kernels multiply once per
// block, not once per vector. Vectors never straddle blocks: the lanes of a
// float vector (at most 16 on x86) divide 32.
struct F32Row {
  static constexpr bool kBlockScaled = false;
  static HWY_INLINE VFull Load(DFull df, const uint8_t* row, size_t x) {
    return hn::LoadU(df, reinterpret_cast<const float*>(row) + x);
  }
  static HWY_INLINE float At(const uint8_t* row, size_t x) {
    float v;
    std::memcpy(&v, row + x * sizeof(float), sizeof v);
    return v;
  }
};

struct F16Row {
  static constexpr bool kBlockScaled = false;
  static HWY_INLINE VFull Load(DFull df, const uint8_t* row, size_t x) {
    const hn::Rebind<hwy::float16_t, DFull> dh;
    return hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(row) + x));
  }
  static HWY_INLINE float At(const uint8_t* row, size_t x) {
    uint16_t h;
    std::memcpy(&h, row + x * sizeof h, sizeof h);
    return F16ToF32(h);
  }
};

struct Q8_0Row {
  static constexpr bool kBlockScaled = true;
  static constexpr size_t kBlock = kQK;
  static HWY_INLINE const BlockQ8_0* Block(const uint8_t* row, size_t x) {
    return reinterpret_cast<const BlockQ8_0*>(row) + x / kQK;
  }
  static HWY_INLINE float Scale(const uint8_t* row, size_t x) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
    // F16C converts in one instruction, without F16ToF32's branches.
    const hn::CappedTag<float, 1> d1;
    const hn::Rebind<hwy::float16_t, decltype(d1)> dh1;
    return hn::GetLane(hn::PromoteTo(
        d1, hn::LoadU(dh1, reinterpret_cast<const hwy::float16_t*>(&Block(row, x)->d))));
#else
    return F16ToF32(Block(row, x)->d);
#endif
  }
  static HWY_INLINE VFull Load(DFull df, const uint8_t* row, size_t x) {
    const hn::Rebind<int32_t, DFull> di;
    const hn::Rebind<int8_t, DFull> d8;
    return hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, Block(row, x)->qs + x % kQK)));
  }
  static HWY_INLINE float At(const uint8_t* row, size_t x) {
    return Scale(row, x) * static_cast<float>(Block(row, x)->qs[x % kQK]);
  }
};

// Rows per tile: about 16 KiB of F32 rows, so a tile stays in L1 while
// every query of the group passes over it.
HWY_INLINE int64_t RowTile(int64_t d) {
  return std::max<int64_t>(16, 4096 / std::max<int64_t>(d, 1));
}

HWY_INLINE const uint8_t* RowAt(const CachedRows& c, int64_t j) {
  return static_cast<const uint8_t*>(c.base) + static_cast<int64_t>(c.rows[j]) * c.stride;
}

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

// acc[u] += q . row u over values [x0, x1) (whole vectors): eight
// independent FMA chains hide the latency.
template <class Row>
HWY_INLINE void Dot8(DFull df, const float* q, const uint8_t* const* r, size_t x0, size_t x1,
                     VFull* acc) {
  const size_t lanes = hn::Lanes(df);
  for (size_t x = x0; x < x1; x += lanes) {
    const VFull qv = hn::LoadU(df, q + x);
#pragma GCC unroll 8
    for (int u = 0; u < 8; ++u) acc[u] = hn::MulAdd(qv, Row::Load(df, r[u], x), acc[u]);
  }
}

template <class Row>
void DotRowsOf(const float* q, int64_t q_stride, int64_t n_q, const CachedRows& k, int64_t d,
               float scale, float* scores) {
  const DFull df;
  const size_t lanes = hn::Lanes(df);
  const size_t dim = static_cast<size_t>(d);
  const size_t full = dim - dim % lanes;
  const int64_t tile = RowTile(d);
  for (int64_t j0 = 0; j0 < k.n; j0 += tile) {
    const int64_t j1 = std::min(k.n, j0 + tile);
    for (int64_t i = 0; i < n_q; ++i) {
      const float* qi = q + i * q_stride;
      float* s = scores + i * k.n;
      int64_t j = j0;
      for (; j + 8 <= j1; j += 8) {
        const uint8_t* r[8];
        for (int u = 0; u < 8; ++u) r[u] = RowAt(k, j + u);
        VFull acc[8];
        for (int u = 0; u < 8; ++u) acc[u] = hn::Zero(df);
        if constexpr (Row::kBlockScaled) {
          for (size_t b = 0; b < full; b += Row::kBlock) {
            VFull block[8];
            for (int u = 0; u < 8; ++u) block[u] = hn::Zero(df);
            Dot8<Row>(df, qi, r, b, std::min(full, b + Row::kBlock), block);
#pragma GCC unroll 8
            for (int u = 0; u < 8; ++u)
              acc[u] = hn::MulAdd(hn::Set(df, Row::Scale(r[u], b)), block[u], acc[u]);
          }
        } else {
          Dot8<Row>(df, qi, r, 0, full, acc);
        }
        float t[8];
        SumLanes8(df, acc, t);
        for (size_t x = full; x < dim; ++x) {
          for (int u = 0; u < 8; ++u) t[u] += qi[x] * Row::At(r[u], x);
        }
        for (int u = 0; u < 8; ++u) s[j + u] = t[u] * scale;
      }
      for (; j < j1; ++j) {
        const uint8_t* r0 = RowAt(k, j);
        float t = 0.0f;
        size_t x = 0;
        if constexpr (Row::kBlockScaled) {
          for (; x < full; x += Row::kBlock) {
            VFull a = hn::Zero(df);
            for (size_t y = x; y < std::min(full, x + Row::kBlock); y += lanes) {
              a = hn::MulAdd(hn::LoadU(df, qi + y), Row::Load(df, r0, y), a);
            }
            t += Row::Scale(r0, x) * hn::GetLane(hn::SumOfLanes(df, a));
          }
        } else {
          VFull a = hn::Zero(df);
          for (; x < full; x += lanes)
            a = hn::MulAdd(hn::LoadU(df, qi + x), Row::Load(df, r0, x), a);
          t = hn::GetLane(hn::SumOfLanes(df, a));
        }
        for (x = full; x < dim; ++x) t += qi[x] * Row::At(r0, x);
        s[j] = t * scale;
      }
    }
  }
}

// Row weight w times the scale of the block holding value x of the row.
template <class Row>
HWY_INLINE VFull RowWeight(DFull df, float w, const uint8_t* row, size_t x) {
  if constexpr (Row::kBlockScaled) {
    return hn::Set(df, w * Row::Scale(row, x));
  } else {
    return hn::Set(df, w);
  }
}

// RowWeight for the 4 vectors from x (a multiple of 4 vectors), computed
// once per block they span, not once per vector.
template <class Row>
HWY_INLINE void RowWeights4(DFull df, float w, const uint8_t* row, size_t x, VFull* out) {
  constexpr size_t kLanes = hn::MaxLanes(DFull());
  const size_t lanes = hn::Lanes(df);
  out[0] = RowWeight<Row>(df, w, row, x);
  for (int e = 1; e < 4; ++e) {
    bool new_scale = false;
    if constexpr (Row::kBlockScaled) {
      // With 4 vectors a whole number of blocks, x starts a block and only
      // e decides; otherwise (4-lane targets) x's offset does too.
      constexpr bool kWhole = (4 * kLanes) % Row::kBlock == 0;
      new_scale = kWhole ? (e * kLanes) % Row::kBlock == 0 : (x + e * lanes) % Row::kBlock == 0;
    }
    out[e] = new_scale ? RowWeight<Row>(df, w, row, x + e * lanes) : out[e - 1];
  }
}

template <class Row>
void WeightedSumRowsOf(const float* w, int64_t n_q, const CachedRows& v, int64_t d, float* out,
                       int64_t out_stride) {
  const DFull df;
  const size_t lanes = hn::Lanes(df);
  const size_t dim = static_cast<size_t>(d);
  for (int64_t i = 0; i < n_q; ++i) std::fill(out + i * out_stride, out + i * out_stride + d, 0.0f);
  const int64_t tile = RowTile(d);
  for (int64_t j0 = 0; j0 < v.n; j0 += tile) {
    const int64_t j1 = std::min(v.n, j0 + tile);
    for (int64_t i = 0; i < n_q; ++i) {
      const float* wi = w + i * v.n;
      float* o = out + i * out_stride;
      size_t x = 0;
      // Four vectors of the output stay in registers over the tile; two
      // rows per step give eight independent FMA chains.
      for (; x + 4 * lanes <= dim; x += 4 * lanes) {
        VFull a[4], b[4];
        for (int e = 0; e < 4; ++e) {
          a[e] = hn::LoadU(df, o + x + e * lanes);
          b[e] = hn::Zero(df);
        }
        int64_t j = j0;
        for (; j + 2 <= j1; j += 2) {
          const uint8_t* r0 = RowAt(v, j);
          const uint8_t* r1 = RowAt(v, j + 1);
          VFull w0[4], w1[4];
          RowWeights4<Row>(df, wi[j], r0, x, w0);
          RowWeights4<Row>(df, wi[j + 1], r1, x, w1);
#pragma GCC unroll 4
          for (int e = 0; e < 4; ++e) {
            const size_t xe = x + e * lanes;
            a[e] = hn::MulAdd(w0[e], Row::Load(df, r0, xe), a[e]);
            b[e] = hn::MulAdd(w1[e], Row::Load(df, r1, xe), b[e]);
          }
        }
        if (j < j1) {
          const uint8_t* r0 = RowAt(v, j);
          VFull w0[4];
          RowWeights4<Row>(df, wi[j], r0, x, w0);
#pragma GCC unroll 4
          for (int e = 0; e < 4; ++e)
            a[e] = hn::MulAdd(w0[e], Row::Load(df, r0, x + e * lanes), a[e]);
        }
        for (int e = 0; e < 4; ++e) hn::StoreU(hn::Add(a[e], b[e]), df, o + x + e * lanes);
      }
      for (; x + lanes <= dim; x += lanes) {
        VFull a0 = hn::LoadU(df, o + x);
        for (int64_t j = j0; j < j1; ++j) {
          const uint8_t* r0 = RowAt(v, j);
          a0 = hn::MulAdd(RowWeight<Row>(df, wi[j], r0, x), Row::Load(df, r0, x), a0);
        }
        hn::StoreU(a0, df, o + x);
      }
      for (; x < dim; ++x) {
        float sum = o[x];
        for (int64_t j = j0; j < j1; ++j) sum += wi[j] * Row::At(RowAt(v, j), x);
        o[x] = sum;
      }
    }
  }
}

void DotRowsImpl(const float* q, int64_t q_stride, int64_t n_q, const CachedRows& k, int64_t d,
                 float scale, float* scores) {
  switch (k.type) {
    case DType::kF16:
      return DotRowsOf<F16Row>(q, q_stride, n_q, k, d, scale, scores);
    case DType::kQ8_0:
      return DotRowsOf<Q8_0Row>(q, q_stride, n_q, k, d, scale, scores);
    default:
      return DotRowsOf<F32Row>(q, q_stride, n_q, k, d, scale, scores);
  }
}

void WeightedSumRowsImpl(const float* w, int64_t n_q, const CachedRows& v, int64_t d, float* out,
                         int64_t out_stride) {
  switch (v.type) {
    case DType::kF16:
      return WeightedSumRowsOf<F16Row>(w, n_q, v, d, out, out_stride);
    case DType::kQ8_0:
      return WeightedSumRowsOf<Q8_0Row>(w, n_q, v, d, out, out_stride);
    default:
      return WeightedSumRowsOf<F32Row>(w, n_q, v, d, out, out_stride);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shimmy {

HWY_EXPORT(DotRowsImpl);
HWY_EXPORT(WeightedSumRowsImpl);

bool IsCachedRowType(DType type) {
  return type == DType::kF32 || type == DType::kF16 || type == DType::kQ8_0;
}

void DotRows(const float* q, int64_t q_stride, int64_t n_q, const CachedRows& k, int64_t d,
             float scale, float* scores) {
  HWY_DYNAMIC_DISPATCH(DotRowsImpl)(q, q_stride, n_q, k, d, scale, scores);
}

void WeightedSumRows(const float* w, int64_t n_q, const CachedRows& v, int64_t d, float* out,
                     int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(WeightedSumRowsImpl)(w, n_q, v, d, out, out_stride);
}

}  // namespace shimmy
#endif  // HWY_ONCE
