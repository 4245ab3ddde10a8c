// Dot-product kernels for the 256-element super-block types against Q8_K:
// one weight row times kT activation rows. Weights are decoded chunk by
// chunk (32 values) into unsigned bytes; pmaddubsw forms pair sums and
// pmaddwd multiplies them by the sub-block scales, so each super-block ends
// as one vector of exact int32 sums, scaled in float once per token.
//
// Offsets that are the same for every value of a sub-block (the Q2_K/Q4_K/
// Q5_K minimums, Q3_K's -4 and Q6_K's -32) are applied through the
// activation's bsums (sums of 16 quants): one i16 multiply per sub-block,
// not per value.

#if defined(SHIMMY_KERNELS_DOT_K_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_DOT_K_INL_H_
#undef SHIMMY_KERNELS_DOT_K_INL_H_
#else
#define SHIMMY_KERNELS_DOT_K_INL_H_
#endif

#include "kernels/k_scales-inl.h"
#include "kernels/simd_common-inl.h"
#include "quant/block_types.h"

// HWY_SCALAR (1-lane vectors; CPUs without SSSE3, or GCC < 12.3 in place of
// EMU128) uses the scalar reference instead, see matmul.cpp.
#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {

// Loads the kC vectors of a 32-byte run.
HWY_INLINE void LoadChunk(const uint8_t* p, VU8* out) {
  for (size_t c = 0; c < kC; ++c) out[c] = hn::LoadU(DU8(), p + c * kN8);
}

// With VNNI a chunk's multiply-accumulate is one instruction of 4-5 cycles
// latency on its sum, so the kernels keep two independent chains of sums
// (even and odd chunks; added and subtracted float terms) to overlap them.
// Elsewhere the accumulating add takes one cycle, and one chain saves
// registers for the 16-register AVX2 target. Tiles of several tokens
// already have a chain per token (a second one measured 4-7 % slower in
// Q4_K/Q6_K prefill, 1 thread, matmul_bench).
template <size_t kT>
constexpr size_t kChains = SHIMMY_X86_VNNI && kT == 1 ? 2 : 1;

// Per-token float accumulators of a super-block loop; every term (scaled
// integer sums, minimums, offsets) lands in them, reduced once at the end.
template <size_t kT>
struct KAccumulators {
  VF acc[kT];
  VF neg[kChains<kT> == 2 ? kT : 1];  // the subtracted terms, with two chains

  HWY_INLINE KAccumulators() {
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) acc[t] = hn::Zero(DF());
    for (VF& v : neg) v = hn::Zero(DF());
  }
  // acc[t] += isum * scale
  HWY_INLINE void Add(size_t t, VI32 isum, float scale) {
    acc[t] = hn::MulAdd(hn::ConvertTo(DF(), isum), hn::Set(DF(), scale), acc[t]);
  }
  // acc[t] -= isum * scale
  HWY_INLINE void Sub(size_t t, VI32 isum, float scale) {
    if constexpr (kChains<kT> == 2) {
      neg[t] = hn::MulAdd(hn::ConvertTo(DF(), isum), hn::Set(DF(), scale), neg[t]);
    } else {
      acc[t] = hn::NegMulAdd(hn::ConvertTo(DF(), isum), hn::Set(DF(), scale), acc[t]);
    }
  }
  HWY_INLINE void Finish(float* out) const {
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      out[t] = ReduceSum(kChains<kT> == 2 ? hn::Sub(acc[t], neg[t]) : acc[t]);
    }
  }
};

// Exact int32 sums of one super-block per token, as kN chains that
// consecutive chunks alternate between.
template <size_t kT, size_t kN = kChains<kT>>
struct BlockSums {
  VI32 s[kN][kT];

  HWY_INLINE BlockSums() {
    for (auto& chain : s) {
      HWY_UNROLL(4)
      for (size_t t = 0; t < kT; ++t) chain[t] = hn::Zero(D32());
    }
  }
  HWY_INLINE VI32& At(size_t t, int chunk) { return s[static_cast<size_t>(chunk) % kN][t]; }
  // See CloseSums: one chunk's products are finished before the next's.
  HWY_INLINE void Close() {
    for (auto& chain : s) CloseSums<kT>(chain);
  }
  HWY_INLINE VI32 Total(size_t t) const {
    VI32 sum = s[0][t];
    for (size_t c = 1; c < kN; ++c) sum = hn::Add(sum, s[c][t]);
    return sum;
  }
};

template <size_t kT>
HWY_INLINE const BlockQ8_K& ActBlock(const uint8_t* const* acts, size_t t, int64_t i) {
  return reinterpret_cast<const BlockQ8_K*>(acts[t])[i];
}

template <size_t kT>
HWY_INLINE void DotQ2_KRows(const void* w_row, const uint8_t* const* acts, int64_t nb, float* out) {
  const auto* x = static_cast<const BlockQ2_K*>(w_row);
  KAccumulators<kT> k;
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchAhead<sizeof(x[0])>(x + i);
    const BlockQ2_K& b = x[i];
    VI16 raw[kC], sc16[kC], mn16[kC];
    WidenU8x16(b.scales, raw);
    for (size_t c = 0; c < kC; ++c) {
      sc16[c] = hn::And(raw[c], hn::Set(D16(), 0xF));
      mn16[c] = hn::ShiftRight<4>(raw[c]);
    }
    BlockSums<kT> isum;
    for (int h = 0; h < 2; ++h) {
      const VI16 dup = HalfDup(sc16, h);
      VU8 q[kC];
      LoadChunk(b.qs + 32 * h, q);
      HWY_UNROLL(4)
      for (int g = 0; g < 4; ++g) {
        VU8 v[kC];
        for (size_t c = 0; c < kC; ++c) {
          v[c] = hn::And(q[c], hn::Set(DU8(), 3));
          q[c] = hn::ShiftRight<2>(q[c]);
        }
        VI16 scale[kC];
        ChunkScales16(dup, g, scale);
        HWY_UNROLL(4)
        for (size_t t = 0; t < kT; ++t) {
          const int8_t* y = ActBlock<kT>(acts, t, i).qs + 128 * h + 32 * g;
          isum.At(t, g) = DotChunkScaled(isum.At(t, g), v, y, scale);
        }
        isum.Close();
      }
    }
    const float d = HalfToFloat(b.d), dmin = HalfToFloat(b.dmin);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const BlockQ8_K& a = ActBlock<kT>(acts, t, i);
      k.Add(t, isum.Total(t), d * a.d);
      k.Sub(t, BsumProducts(a, mn16), dmin * a.d);
    }
  }
  k.Finish(out);
}

template <size_t kT>
HWY_INLINE void DotQ3_KRows(const void* w_row, const uint8_t* const* acts, int64_t nb, float* out) {
  const auto* x = static_cast<const BlockQ3_K*>(w_row);
  KAccumulators<kT> k;
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchAhead<sizeof(x[0])>(x + i);
    const BlockQ3_K& b = x[i];
    uint8_t biased[16];
    UnpackScalesQ3K(b.scales, biased);
    VI16 s16[kC];
    WidenU8x16(biased, s16);
    for (size_t c = 0; c < kC; ++c) s16[c] = hn::Sub(s16[c], hn::Set(D16(), 32));
    VU8 hm[kC];
    LoadChunk(b.hmask, hm);
    BlockSums<kT> isum;
    for (int h = 0; h < 2; ++h) {
      const VI16 dup = HalfDup(s16, h);
      VU8 q[kC];
      LoadChunk(b.qs + 32 * h, q);
      HWY_UNROLL(4)
      for (int g = 0; g < 4; ++g) {
        // Unsigned u = low + 4 * high in [0, 7]; the value is u - 4.
        VU8 v[kC];
        const VU8 bit = hn::Set(DU8(), static_cast<uint8_t>(1u << (4 * h + g)));
        for (size_t c = 0; c < kC; ++c) {
          const VU8 high = hn::IfThenElseZero(hn::TestBit(hm[c], bit), hn::Set(DU8(), 4));
          v[c] = hn::Or(hn::And(q[c], hn::Set(DU8(), 3)), high);
          q[c] = hn::ShiftRight<2>(q[c]);
        }
        VI16 scale[kC];
        ChunkScales16(dup, g, scale);
        HWY_UNROLL(4)
        for (size_t t = 0; t < kT; ++t) {
          const int8_t* y = ActBlock<kT>(acts, t, i).qs + 128 * h + 32 * g;
          isum.At(t, g) = DotChunkScaled(isum.At(t, g), v, y, scale);
        }
        isum.Close();
      }
    }
    const float d = HalfToFloat(b.d);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const BlockQ8_K& a = ActBlock<kT>(acts, t, i);
      k.Add(t, isum.Total(t), d * a.d);
      k.Sub(t, BsumProducts(a, s16), 4.0f * d * a.d);
    }
  }
  k.Finish(out);
}

// Q4_K (kHighBit false) and Q5_K (true): sub-blocks of 32 with 6-bit scales
// and minimums.
template <bool kHighBit, class Block, size_t kT>
HWY_INLINE void DotQ45_KRows(const void* w_row, const uint8_t* const* acts, int64_t nb,
                             float* out) {
  const auto* x = static_cast<const Block*>(w_row);
  KAccumulators<kT> k;
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchAhead<sizeof(x[0])>(x + i);
    const Block& b = x[i];
    uint8_t sc[8], mn[8];
    UnpackScaleMinK4(b.scales, sc, mn);
    const VI16 sc_dup = WidenU8x8Dup(sc);
    VI16 mn16[kC];
    PairsForBsums(WidenU8x8Dup(mn), mn16);
    VU8 qh[kC];
    if constexpr (kHighBit) LoadChunk(b.qh, qh);
    BlockSums<kT> isum;
    HWY_UNROLL(4)
    for (int p = 0; p < 4; ++p) {
      VU8 q[kC];
      LoadChunk(b.qs + 32 * p, q);
      for (int nibble = 0; nibble < 2; ++nibble) {
        const int sub = 2 * p + nibble;
        VU8 v[kC];
        for (size_t c = 0; c < kC; ++c) {
          v[c] = nibble == 0 ? hn::And(q[c], hn::Set(DU8(), 0x0F)) : hn::ShiftRight<4>(q[c]);
          if constexpr (kHighBit) {
            const VU8 bit = hn::Set(DU8(), static_cast<uint8_t>(1u << sub));
            v[c] = hn::Or(v[c], hn::IfThenElseZero(hn::TestBit(qh[c], bit), hn::Set(DU8(), 16)));
          }
        }
        VI16 scale[kC];
        ChunkScales32(sc_dup, sub, scale);
        HWY_UNROLL(4)
        for (size_t t = 0; t < kT; ++t) {
          const int8_t* y = ActBlock<kT>(acts, t, i).qs + 32 * sub;
          isum.At(t, sub) = DotChunkScaled(isum.At(t, sub), v, y, scale);
        }
        isum.Close();
      }
    }
    const float d = HalfToFloat(b.d), dmin = HalfToFloat(b.dmin);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const BlockQ8_K& a = ActBlock<kT>(acts, t, i);
      k.Add(t, isum.Total(t), d * a.d);
      k.Sub(t, BsumProducts(a, mn16), dmin * a.d);
    }
  }
  k.Finish(out);
}

template <size_t kT>
HWY_INLINE void DotQ6_KRows(const void* w_row, const uint8_t* const* acts, int64_t nb, float* out) {
  const auto* x = static_cast<const BlockQ6_K*>(w_row);
  KAccumulators<kT> k;
  const DU8 du8;
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchAhead<sizeof(x[0])>(x + i);
    const BlockQ6_K& b = x[i];
    VI16 s16[kC];
    WidenI8x16(b.scales, s16);
    BlockSums<kT> isum;
    for (int h = 0; h < 2; ++h) {
      const VI16 dup = HalfDup(s16, h);
      VU8 ql0[kC], ql1[kC], qh[kC];
      LoadChunk(b.ql + 64 * h, ql0);
      LoadChunk(b.ql + 64 * h + 32, ql1);
      LoadChunk(b.qh + 32 * h, qh);
      HWY_UNROLL(4)
      for (int g = 0; g < 4; ++g) {
        VU8 v[kC];  // unsigned 6-bit values; the stored value is v - 32
        for (size_t c = 0; c < kC; ++c) {
          switch (g) {
            case 0:
              v[c] = hn::Or(hn::And(ql0[c], hn::Set(du8, 0x0F)),
                            hn::ShiftLeft<4>(hn::And(qh[c], hn::Set(du8, 0x03))));
              break;
            case 1:
              v[c] = hn::Or(hn::And(ql1[c], hn::Set(du8, 0x0F)),
                            hn::ShiftLeft<2>(hn::And(qh[c], hn::Set(du8, 0x0C))));
              break;
            case 2:
              v[c] = hn::Or(hn::ShiftRight<4>(ql0[c]), hn::And(qh[c], hn::Set(du8, 0x30)));
              break;
            default:
              v[c] = hn::Or(hn::ShiftRight<4>(ql1[c]),
                            hn::ShiftRight<2>(hn::And(qh[c], hn::Set(du8, 0xC0))));
              break;
          }
        }
        VI16 scale[kC];
        ChunkScales16(dup, g, scale);
        HWY_UNROLL(4)
        for (size_t t = 0; t < kT; ++t) {
          const int8_t* y = ActBlock<kT>(acts, t, i).qs + 128 * h + 32 * g;
          isum.At(t, g) = DotChunkScaled(isum.At(t, g), v, y, scale);
        }
        isum.Close();
      }
    }
    const float d = HalfToFloat(b.d);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const BlockQ8_K& a = ActBlock<kT>(acts, t, i);
      k.Add(t, isum.Total(t), d * a.d);
      k.Sub(t, BsumProducts(a, s16), 32.0f * d * a.d);
    }
  }
  k.Finish(out);
}

template <size_t kT>
HWY_INLINE void DotIQ4_XSRows(const void* w_row, const uint8_t* const* acts, int64_t nb,
                              float* out) {
  const auto* x = static_cast<const BlockIQ4_XS*>(w_row);
  KAccumulators<kT> k;
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchAhead<sizeof(x[0])>(x + i);
    const BlockIQ4_XS& b = x[i];
    const uint32_t scales_h = b.scales_h;
    uint8_t biased[8];
    for (int ib = 0; ib < 8; ++ib) {
      biased[ib] = static_cast<uint8_t>(((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0xF) |
                                        (((scales_h >> (2 * ib)) & 3) << 4));
    }
    const VI16 dup = hn::Sub(WidenU8x8Dup(biased), hn::Set(D16(), 32));
    BlockSums<kT> isum;
    for (int ib = 0; ib < 8; ++ib) {
      VU8 codes[kC], w_abs[kC];
      VI8 w[kC];
      ExpandNibbles(b.qs + 16 * ib, codes);
      LookupCodebook(codes, kIq4nlValues, w);
      for (size_t c = 0; c < kC; ++c) w_abs[c] = hn::BitCast(DU8(), hn::Abs(w[c]));
      VI16 scale[kC];
      ChunkScales32(dup, ib, scale);
      HWY_UNROLL(4)
      for (size_t t = 0; t < kT; ++t) {
        const int8_t* y = ActBlock<kT>(acts, t, i).qs + 32 * ib;
        isum.At(t, ib) = DotChunkSignedScaled(isum.At(t, ib), w_abs, w, y, scale);
      }
      isum.Close();
    }
    const float d = HalfToFloat(b.d);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) k.Add(t, isum.Total(t), d * ActBlock<kT>(acts, t, i).d);
  }
  k.Finish(out);
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
