// Weights in shimmy's 8-row interleaved layouts (BlockQ8_0X8, BlockQ4_KX8,
// BlockQ6_KX8) against Q8_0 or Q8_K activations, for AVX512-VNNI. One
// 32-byte load holds 4 weight bytes of each of 8 rows, so one vpdpbusd
// multiplies 4 values of 8 rows with the same 4 activation bytes (a
// broadcast), and each i32 lane ends as one row's sum. Block and sub-block
// scales are then one multiply per block of 8 rows, and the results are 8
// rows' outputs in one vector: no horizontal sums.
// Per row and token that is about half the instructions of the row-wise
// kernels (dot_q32-inl.h, dot_k-inl.h), which is what prefill is bound by.
//
// Other targets multiply the same layouts by unpacking each group back into
// plain rows (matmul.cpp); the model only repacks where these kernels exist
// (MatMulHasInterleavedKernels).

#if defined(SHIMMY_KERNELS_DOT_X8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_DOT_X8_INL_H_
#undef SHIMMY_KERNELS_DOT_X8_INL_H_
#else
#define SHIMMY_KERNELS_DOT_X8_INL_H_
#endif

#include "kernels/dot_k-inl.h"
#include "kernels/simd_common-inl.h"
#include "quant/block_types.h"

#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {

#if SHIMMY_X86_VNNI
static_assert(kN8 == 32, "one vector holds 4 bytes of each of 8 rows");

// acc + the sums of each 4 adjacent products of w's u8 lanes with the 4
// int8 values at a, repeated in every i32 lane: vpdpbusd with the 4 bytes
// as an embedded broadcast ({1to8}), so the broadcast costs no instruction
// of its own (one in six of a K-quant block's). Measured 1-7 % faster from
// L1/L2, one thread (matmul_bench BM_MatVecKernel).
HWY_INLINE VI32 AddDotU8Bcast4(VI32 acc, VU8 w, const int8_t* a) {
  asm("vpdpbusd %2%{1to8%}, %1, %0"
      : "+v"(acc.raw)
      : "v"(w.raw), "m"(*reinterpret_cast<const char(*)[4]>(a)));
  return acc;
}
// acc + the sums of each 2 adjacent products of w's i16 lanes with the 2
// int16 values at a, repeated in every i32 lane (vpdpwssd, broadcast as
// above).
HWY_INLINE VI32 AddMulPairsI16Bcast2(VI32 acc, VI16 w, const int16_t* a) {
  asm("vpdpwssd %2%{1to8%}, %1, %0"
      : "+v"(acc.raw)
      : "v"(w.raw), "m"(*reinterpret_cast<const char(*)[4]>(a)));
  return acc;
}

// Q8_0: the weights are stored as q + 128, so vpdpbusd sums (q + 128) * a
// and 128 * sum(a) comes off once per block and token: an exact integer
// (|sum| < 2^23, as is the rest) subtracted in float. act_sums[t][i] is
// that sum of block i of token t (ActScaleCount in matmul.cpp).
template <size_t kT>
HWY_INLINE void DotQ8_0X8Rows(const void* w_group, const uint8_t* const* acts,
                              const float* const* act_d, const float* const* act_sums, int64_t nb,
                              float* y, int64_t y_stride) {
  const auto* x = static_cast<const BlockQ8_0X8*>(w_group);
  const DU8 du8;
  const DF df;
  const hn::Rebind<hwy::float16_t, DF> df16;
  VF acc[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) acc[t] = hn::Zero(df);
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ8_0X8& b = x[i];
    PrefetchAhead<sizeof(b)>(&b);
    BlockSums<kT> sums;
    HWY_UNROLL(8)
    for (int g = 0; g < 8; ++g) {
      const VU8 q = hn::LoadU(du8, b.qs + 32 * g);
      HWY_UNROLL(4)
      for (size_t t = 0; t < kT; ++t) {
        const int8_t* a = reinterpret_cast<const BlockQ8_0*>(acts[t])[i].qs + 4 * g;
        sums.At(t, g) = AddDotU8Bcast4(sums.At(t, g), q, a);
      }
    }
    const VF d = hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const hwy::float16_t*>(b.d)));
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const VF isum =
          hn::Sub(hn::ConvertTo(df, sums.Total(t)), hn::Set(df, 128.0f * act_sums[t][i]));
      acc[t] = hn::MulAdd(isum, hn::Mul(d, hn::Set(df, act_d[t][i])), acc[t]);
    }
  }
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) hn::StoreU(acc[t], df, y + static_cast<int64_t>(t) * y_stride);
}

// PrefetchAhead for quarter q of a block of kBytes, issued as the kernel
// reaches it, for tiles of several tokens only. A group's block is 1-2 KiB;
// asking for all of its 18-27 lines at once measured slower (Llama 1B
// Q4_K_M decode with only Q6_K repacked: 3 % below plain Q6_K, spread out
// 4 % above), likely more misses at once than the core keeps track of.
// Decode (one token) reads these layouts strictly forward and fast enough
// that the hardware prefetcher keeps up, and the software prefetches only
// got in its way: without them the matrix-vector products stream at 94-97 %
// of plain read bandwidth instead of 75-92 % (matmul_bench BM_MatVecStream,
// Q4_K_X8 and Q6_K_X8, 2 threads) and Llama 1B Q4_K_M decodes ~9 % faster.
// Tiles do about 4 times the work per byte and ran 8 % slower without.
template <size_t kT, size_t kBytes>
HWY_INLINE void PrefetchForTiles(const void* block, int q) {
  if constexpr (kT > 1) {
    constexpr size_t kQuarter = (kBytes / 4 + 63) / 64 * 64;
    PrefetchAhead<kQuarter>(static_cast<const uint8_t*>(block) +
                            kQuarter * static_cast<size_t>(q));
  }
}

// The 6-bit scales and minimums of 8 rows, unpacked with a few vector
// operations: sc[8 s + r] and mn[8 s + r] for sub-block s of row r. The
// packed bytes k of all rows are adjacent (scales[8 k + r]), so bytes 0-3,
// 4-7 and 8-11 of the 8 rows are one vector each and every step of the
// unpacking applies to all 32 of their lanes at once.
struct X8Scales {
  alignas(32) uint8_t sc[64];
  alignas(32) uint8_t mn[64];

  HWY_INLINE explicit X8Scales(const uint8_t* scales) {
    const DU8 du8;
    const VU8 v0 = hn::LoadU(du8, scales), v1 = hn::LoadU(du8, scales + 32);
    const VU8 v2 = hn::LoadU(du8, scales + 64);
    const VU8 low6 = hn::Set(du8, 63), low4 = hn::Set(du8, 15), bits45 = hn::Set(du8, 0x30);
    hn::Store(hn::And(v0, low6), du8, sc);
    hn::Store(hn::Or(hn::And(v2, low4), hn::And(hn::ShiftRight<2>(v0), bits45)), du8, sc + 32);
    hn::Store(hn::And(v1, low6), du8, mn);
    hn::Store(hn::Or(hn::ShiftRight<4>(v2), hn::And(hn::ShiftRight<2>(v1), bits45)), du8, mn + 32);
  }
  // Sub-block s of the 8 rows as i32 lanes.
  static HWY_INLINE VI32 Lanes(const uint8_t* table, int s) {
    const hn::Rebind<uint8_t, D32> d8x8;
    return hn::BitCast(D32(), hn::PromoteTo(DU32(), hn::LoadU(d8x8, table + 8 * s)));
  }
};

// y[t * y_stride + r] = row r of the group . acts[t], for r < 8, t < kT.
template <size_t kT>
HWY_INLINE void DotQ4_KX8Rows(const void* w_group, const uint8_t* const* acts, int64_t nb, float* y,
                              int64_t y_stride) {
  const auto* x = static_cast<const BlockQ4_KX8*>(w_group);
  const DU8 du8;
  const DF df;
  const hn::Rebind<hwy::float16_t, DF> df16;
  VF acc[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) acc[t] = hn::Zero(df);
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ4_KX8& b = x[i];
    const X8Scales scales(b.scales);
    VI32 isum[kT];
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) isum[t] = hn::Zero(D32());
    HWY_UNROLL(4)
    for (int p = 0; p < 4; ++p) {
      PrefetchForTiles<kT, sizeof(b)>(&b, p);
      // Sub-blocks 2p (low nibbles) and 2p + 1 (high nibbles).
      BlockSums<kT> lo, hi;
      HWY_UNROLL(8)
      for (int g = 0; g < 8; ++g) {
        const VU8 q = hn::LoadU(du8, b.qs + 32 * (8 * p + g));
        const VU8 q_lo = hn::And(q, hn::Set(du8, 0x0F));
        const VU8 q_hi = hn::ShiftRight<4>(q);
        HWY_UNROLL(4)
        for (size_t t = 0; t < kT; ++t) {
          const int8_t* a = ActBlock<kT>(acts, t, i).qs + 64 * p + 4 * g;
          lo.At(t, g) = AddDotU8Bcast4(lo.At(t, g), q_lo, a);
          hi.At(t, g) = AddDotU8Bcast4(hi.At(t, g), q_hi, a + 32);
        }
      }
      const VI32 sc_lo = X8Scales::Lanes(scales.sc, 2 * p);
      const VI32 sc_hi = X8Scales::Lanes(scales.sc, 2 * p + 1);
      HWY_UNROLL(4)
      for (size_t t = 0; t < kT; ++t) {
        isum[t] =
            hn::Add(isum[t], hn::Add(hn::Mul(lo.Total(t), sc_lo), hn::Mul(hi.Total(t), sc_hi)));
      }
    }
    // Minimums: row r's sum over s of mn[s] * (bsums[2s] + bsums[2s+1]),
    // one vpdpwssd per sub-block with mn[s] in both i16 halves of a lane.
    VI32 msum[kT];
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) msum[t] = hn::Zero(D32());
    HWY_UNROLL(8)
    for (int s = 0; s < 8; ++s) {
      const VI32 m = X8Scales::Lanes(scales.mn, s);
      const VI16 m2 = hn::BitCast(D16(), hn::Or(m, hn::ShiftLeft<16>(m)));
      HWY_UNROLL(4)
      for (size_t t = 0; t < kT; ++t) {
        msum[t] = AddMulPairsI16Bcast2(msum[t], m2, ActBlock<kT>(acts, t, i).bsums + 2 * s);
      }
    }
    const VF d = hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const hwy::float16_t*>(b.d)));
    const VF dmin =
        hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const hwy::float16_t*>(b.dmin)));
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const VF ad = hn::Set(df, ActBlock<kT>(acts, t, i).d);
      acc[t] = hn::MulAdd(hn::ConvertTo(df, isum[t]), hn::Mul(d, ad), acc[t]);
      acc[t] = hn::NegMulAdd(hn::ConvertTo(df, msum[t]), hn::Mul(dmin, ad), acc[t]);
    }
  }
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) hn::StoreU(acc[t], df, y + static_cast<int64_t>(t) * y_stride);
}

// Scales of sub-blocks 2m and 2m+1 of the 8 rows as i16 pairs, one i32 lane
// per row.
HWY_INLINE VI16 ScalePairs(const int8_t* scales, int m) {
  return hn::PromoteTo(D16(), hn::LoadU(hn::Rebind<int8_t, D16>(), scales + 16 * m));
}
// Sub-block 2m + e's scale of the 8 rows as i32 lanes.
HWY_INLINE VI32 ScalesOfHalf(const int8_t* scales, int m, int e) {
  const VI32 pairs = hn::BitCast(D32(), ScalePairs(scales, m));
  return e == 0 ? hn::ShiftRight<16>(hn::ShiftLeft<16>(pairs)) : hn::ShiftRight<16>(pairs);
}

// The two bits `mask` of every qh byte moved to bits 4-5 (shifted left by
// kLeft, right by -kLeft), to OR onto a ql nibble. The bits stay inside
// their byte, so 16-bit shifts serve.
template <int kLeft>
HWY_INLINE VU8 QhBits(VU8 qh, uint8_t mask) {
  const hn::RebindToUnsigned<D16> du16;
  const auto bits = hn::BitCast(du16, hn::And(qh, hn::Set(DU8(), mask)));
  if constexpr (kLeft > 0) return hn::BitCast(DU8(), hn::ShiftLeft<kLeft>(bits));
  if constexpr (kLeft < 0) return hn::BitCast(DU8(), hn::ShiftRight<-kLeft>(bits));
  return hn::BitCast(DU8(), bits);
}

// Q6_K: values are 6 bits minus 32 in sub-blocks of 16 with int8 scales.
// The unsigned 6-bit values go through vpdpbusd; the -32 comes back as
// 32 * sum over sub-blocks of scale * bsum, one vpdpwssd per two sub-blocks
// with the scales of both as the i16 pair of each row's lane.
template <size_t kT>
HWY_INLINE void DotQ6_KX8Rows(const void* w_group, const uint8_t* const* acts, int64_t nb, float* y,
                              int64_t y_stride) {
  const auto* x = static_cast<const BlockQ6_KX8*>(w_group);
  const DU8 du8;
  const DF df;
  const hn::Rebind<hwy::float16_t, DF> df16;
  VF acc[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) acc[t] = hn::Zero(df);
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_KX8& b = x[i];
    VI32 isum[kT];
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) isum[t] = hn::Zero(D32());
    for (int h = 0; h < 2; ++h) {
      for (int half = 0; half < 2; ++half) {
        PrefetchForTiles<kT, sizeof(b)>(&b, 2 * h + half);
        // Values 128 h + 32 k + 16 half + 0..15 for k < 4: sub-blocks
        // 8 h + 2 k + half, each from the same three loads per 4 values.
        // Decode gives each chunk cc its own chain: 12 % faster than two
        // (matmul_bench BM_MatVec, L2, one thread: 36 -> 41 GB/s); tiles
        // of several tokens have a chain per token already.
        BlockSums<kT, kT == 1 ? 4 : 1> sums[4];
        HWY_UNROLL(4)
        for (int cc = 0; cc < 4; ++cc) {
          const int g = 4 * half + cc;
          const uint8_t* chunk = b.q + 96 * (8 * h + g);
          const VU8 l0 = hn::LoadU(du8, chunk);
          const VU8 l1 = hn::LoadU(du8, chunk + 32);
          const VU8 hb = hn::LoadU(du8, chunk + 64);
          const VU8 low4 = hn::Set(du8, 0x0F);
          const VU8 v[4] = {hn::Or(hn::And(l0, low4), QhBits<4>(hb, 0x03)),
                            hn::Or(hn::And(l1, low4), QhBits<2>(hb, 0x0C)),
                            hn::Or(hn::ShiftRight<4>(l0), QhBits<0>(hb, 0x30)),
                            hn::Or(hn::ShiftRight<4>(l1), QhBits<-2>(hb, 0xC0))};
          HWY_UNROLL(4)
          for (int k = 0; k < 4; ++k) {
            HWY_UNROLL(4)
            for (size_t t = 0; t < kT; ++t) {
              const int8_t* a = ActBlock<kT>(acts, t, i).qs + 128 * h + 32 * k + 4 * g;
              sums[k].At(t, cc) = AddDotU8Bcast4(sums[k].At(t, cc), v[k], a);
            }
          }
        }
        HWY_UNROLL(4)
        for (int k = 0; k < 4; ++k) {
          const VI32 scale = ScalesOfHalf(b.scales, 4 * h + k, half);
          HWY_UNROLL(4)
          for (size_t t = 0; t < kT; ++t) {
            isum[t] = hn::Add(isum[t], hn::Mul(sums[k].Total(t), scale));
          }
        }
      }
    }
    // The -32: 32 * sum over sub-blocks of scale * bsum.
    VI32 osum[kT];
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) osum[t] = hn::Zero(D32());
    HWY_UNROLL(8)
    for (int m = 0; m < 8; ++m) {
      const VI16 pairs = ScalePairs(b.scales, m);
      HWY_UNROLL(4)
      for (size_t t = 0; t < kT; ++t) {
        osum[t] = AddMulPairsI16Bcast2(osum[t], pairs, ActBlock<kT>(acts, t, i).bsums + 2 * m);
      }
    }
    const VF d = hn::PromoteTo(df, hn::LoadU(df16, reinterpret_cast<const hwy::float16_t*>(b.d)));
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      const VF dd = hn::Mul(d, hn::Set(df, ActBlock<kT>(acts, t, i).d));
      acc[t] = hn::MulAdd(hn::ConvertTo(df, isum[t]), dd, acc[t]);
      acc[t] = hn::NegMulAdd(hn::ConvertTo(df, osum[t]), hn::Mul(dd, hn::Set(df, 32.0f)), acc[t]);
    }
  }
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) hn::StoreU(acc[t], df, y + static_cast<int64_t>(t) * y_stride);
}
#endif  // SHIMMY_X86_VNNI

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
