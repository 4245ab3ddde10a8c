// Dot-product kernels for the 32-element block types: one weight row times
// kT activation rows. Each weight block is decoded into int8 vectors once
// and multiplied with the kT activation blocks while it sits in registers,
// which is what makes prefill (kT > 1) cheaper per token than decode.
//
//   Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4 x Q8_0   signed weights (sign trick)
//   Q4_1, Q5_1 x Q8_1                        unsigned weights + m * s
//
// Per block: exact int32 sums in vector lanes, then one float multiply-add
// by the product of the two block scales, as in VecDotRef.

#if defined(SHIMMY_KERNELS_DOT_Q32_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_DOT_Q32_INL_H_
#undef SHIMMY_KERNELS_DOT_Q32_INL_H_
#else
#define SHIMMY_KERNELS_DOT_Q32_INL_H_
#endif

#include "kernels/simd_common-inl.h"
#include "quant/block_types.h"

// HWY_SCALAR (1-lane vectors; CPUs without SSSE3, or GCC < 12.3 in place of
// EMU128) uses the scalar reference instead, see matmul.cpp.
#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {

// Signed weight values of one block as a chunk, and the block's scale.
HWY_INLINE void UnpackSigned(const BlockQ4_0& b, VI8* w) {
  VU8 q[kC];
  ExpandNibbles(b.qs, q);
  for (size_t c = 0; c < kC; ++c) w[c] = hn::Sub(hn::BitCast(D8(), q[c]), hn::Set(D8(), 8));
}
HWY_INLINE float BlockScale(const BlockQ4_0& b) { return HalfToFloat(b.d); }

HWY_INLINE void UnpackSigned(const BlockQ5_0& b, VI8* w) {
  VU8 q[kC], high[kC];
  ExpandNibbles(b.qs, q);
  ExpandBits32(b.qh, high);
  // value - 16 == nibble | 0xF0 (two's complement) when the fifth bit is 0.
  for (size_t c = 0; c < kC; ++c) {
    w[c] = hn::BitCast(D8(), hn::Or(q[c], hn::AndNot(high[c], hn::Set(DU8(), 0xF0))));
  }
}
HWY_INLINE float BlockScale(const BlockQ5_0& b) { return HalfToFloat(b.d); }

HWY_INLINE void UnpackSigned(const BlockQ8_0& b, VI8* w) {
  for (size_t c = 0; c < kC; ++c) w[c] = hn::LoadU(D8(), b.qs + c * kN8);
}
HWY_INLINE float BlockScale(const BlockQ8_0& b) { return HalfToFloat(b.d); }

HWY_INLINE void UnpackSigned(const BlockIQ4_NL& b, VI8* w) {
  VU8 q[kC];
  ExpandNibbles(b.qs, q);
  LookupCodebook(q, kIq4nlValues, w);
}
HWY_INLINE float BlockScale(const BlockIQ4_NL& b) { return HalfToFloat(b.d); }

HWY_INLINE void UnpackSigned(const BlockMXFP4& b, VI8* w) {
  VU8 q[kC];
  ExpandNibbles(b.qs, q);
  LookupCodebook(q, kMxfp4Values, w);
}
HWY_INLINE float BlockScale(const BlockMXFP4& b) { return Mxfp4Scale(b.e); }

// Unsigned weight values of the Q8_1 partners.
HWY_INLINE void UnpackUnsigned(const BlockQ4_1& b, VU8* w) { ExpandNibbles(b.qs, w); }

HWY_INLINE void UnpackUnsigned(const BlockQ5_1& b, VU8* w) {
  VU8 high[kC];
  ExpandNibbles(b.qs, w);
  ExpandBits32(b.qh, high);
  for (size_t c = 0; c < kC; ++c) w[c] = hn::Or(w[c], hn::And(high[c], hn::Set(DU8(), 0x10)));
}

// acc[t] += weight block i . activation block i of row t (Q8_0 rows whose
// block scales act_d[t][i] are already decoded to float).
template <class Block, size_t kT>
HWY_INLINE void AccumulateQ8_0(const Block& b, const uint8_t* const* acts,
                               const float* const* act_d, int64_t i, VF* acc) {
  const DF df;
  VI8 w[kC];
  VU8 w_abs[kC];
  UnpackSigned(b, w);
  for (size_t c = 0; c < kC; ++c) w_abs[c] = hn::BitCast(DU8(), hn::Abs(w[c]));
  const float dw = BlockScale(b);
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) {
    const BlockQ8_0& a = reinterpret_cast<const BlockQ8_0*>(acts[t])[i];
    const VI32 sum = DotChunkSigned(w_abs, w, a.qs);
    acc[t] = hn::MulAdd(hn::ConvertTo(df, sum), hn::Set(df, dw * act_d[t][i]), acc[t]);
  }
}

// out[t] = dot(weight row, activation row t) for t < kT; `acts[t]` points at
// row t in Q8_0 and act_d[t] at its nb block scales as floats (decoded once
// per token rather than once per weight row). Even and odd blocks go to
// separate accumulators so that consecutive FMAs do not wait on each other.
template <class Block, size_t kT>
HWY_INLINE void DotQ8_0Rows(const void* w_row, const uint8_t* const* acts,
                            const float* const* act_d, int64_t nb, float* HWY_RESTRICT out) {
  const auto* x = static_cast<const Block*>(w_row);
  VF acc0[kT], acc1[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) acc0[t] = acc1[t] = hn::Zero(DF());
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    PrefetchAhead<2 * sizeof(Block)>(x + i);
    AccumulateQ8_0<Block, kT>(x[i], acts, act_d, i, acc0);
    AccumulateQ8_0<Block, kT>(x[i + 1], acts, act_d, i + 1, acc1);
  }
  if (i < nb) AccumulateQ8_0<Block, kT>(x[i], acts, act_d, i, acc0);
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) out[t] = ReduceSum(hn::Add(acc0[t], acc1[t]));
}

// acc[t] += the d * da * sum(q * qa) part, mins[t] += m * s (Q8_1 rows;
// act_d[t][i] is da, act_s[t][i] is s, as floats).
template <class Block, size_t kT>
HWY_INLINE void AccumulateQ8_1(const Block& b, const uint8_t* const* acts,
                               const float* const* act_d, const float* const* act_s, int64_t i,
                               VF* acc, float* mins) {
  const DF df;
  const D8 d8;
  VU8 w[kC];
  UnpackUnsigned(b, w);
  const float dw = HalfToFloat(b.d);
  const float m = HalfToFloat(b.m);
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) {
    const BlockQ8_1& a = reinterpret_cast<const BlockQ8_1*>(acts[t])[i];
    VI32 sum = hn::Zero(D32());
    for (size_t c = 0; c < kC; ++c) sum = AddDotU8I8(sum, w[c], hn::LoadU(d8, a.qs + c * kN8));
    acc[t] = hn::MulAdd(hn::ConvertTo(df, sum), hn::Set(df, dw * act_d[t][i]), acc[t]);
    mins[t] += m * act_s[t][i];
  }
}

// As DotQ8_0Rows for Q4_1/Q5_1 against Q8_1: x = d * q + m, so each block
// adds d * da * sum(q * qa) + m * s. act_d[t] holds the nb d's then the nb
// s's of row t as floats.
template <class Block, size_t kT>
HWY_INLINE void DotQ8_1Rows(const void* w_row, const uint8_t* const* acts,
                            const float* const* act_d, int64_t nb, float* HWY_RESTRICT out) {
  const auto* x = static_cast<const Block*>(w_row);
  const float* act_s[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) act_s[t] = act_d[t] + nb;
  VF acc0[kT], acc1[kT];
  float mins[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) {
    acc0[t] = acc1[t] = hn::Zero(DF());
    mins[t] = 0.0f;
  }
  int64_t i = 0;
  for (; i + 1 < nb; i += 2) {
    PrefetchAhead<2 * sizeof(Block)>(x + i);
    AccumulateQ8_1<Block, kT>(x[i], acts, act_d, act_s, i, acc0, mins);
    AccumulateQ8_1<Block, kT>(x[i + 1], acts, act_d, act_s, i + 1, acc1, mins);
  }
  if (i < nb) AccumulateQ8_1<Block, kT>(x[i], acts, act_d, act_s, i, acc0, mins);
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) out[t] = ReduceSum(hn::Add(acc0[t], acc1[t])) + mins[t];
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
