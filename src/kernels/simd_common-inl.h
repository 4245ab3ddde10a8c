// Per-target building blocks shared by the dot-product kernels: the vector
// tags, nibble/bit expansion, and the widening integer multiplies that
// Highway 1.0.3 does not offer portably (x86 gets pmaddubsw / pmaddwd /
// psignb through raw intrinsics, every other target a generic version).
//
// A "chunk" is 32 consecutive int8 values, the Q8_0 block and the K-quant
// sub-block granule. It is kC vectors of D8: one 256-bit vector on AVX2 and
// AVX3, two 128-bit vectors on SSE and the emulated targets. Kernels loop
// `for c < kC` so the same source serves both widths.
//
// Include only from a file that includes hwy/foreach_target.h (or
// hwy/highway.h) first; re-included once per target.

#if defined(SHIMMY_KERNELS_SIMD_COMMON_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_SIMD_COMMON_INL_H_
#undef SHIMMY_KERNELS_SIMD_COMMON_INL_H_
#else
#define SHIMMY_KERNELS_SIMD_COMMON_INL_H_
#endif

#include <cstring>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "tensor/half.h"

// HWY_SCALAR (1-lane vectors; CPUs without SSSE3, or GCC < 12.3 in place of
// EMU128) uses the scalar reference instead, see matmul.cpp.
#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D8 = hn::CappedTag<int8_t, 32>;
using DU8 = hn::RebindToUnsigned<D8>;
using D16 = hn::Repartition<int16_t, D8>;
using D32 = hn::Repartition<int32_t, D8>;
using DU32 = hn::Repartition<uint32_t, D8>;
using DF = hn::Repartition<float, D8>;
using VI8 = hn::Vec<D8>;
using VU8 = hn::Vec<DU8>;
using VI16 = hn::Vec<D16>;
using VI32 = hn::Vec<D32>;
using VF = hn::Vec<DF>;

constexpr size_t kN8 = hn::MaxLanes(D8());  // int8 lanes per vector: 16 or 32
constexpr size_t kC = 32 / kN8;             // vectors per 32-value chunk
static_assert(kN8 == 16 || kN8 == 32, "chunks assume 128- or 256-bit vectors");

#undef SHIMMY_X86_256
#undef SHIMMY_X86_128
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define SHIMMY_X86_256 1
#else
#define SHIMMY_X86_256 0
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3 && !SHIMMY_X86_256
#define SHIMMY_X86_128 1
#else
#define SHIMMY_X86_128 0
#endif
// AVX512-VNNI (Highway's AVX3_DL target: Ice Lake, Zen 4 and later) fuses
// the widening multiplies with the accumulation, on 256-bit vectors here.
// Highway 1.0's target string also enables AVX-VNNI, so GCC would pick that
// VEX encoding, which Zen 4 lacks (SIGILL); the asm below forces EVEX.
#undef SHIMMY_X86_VNNI
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3_DL && (HWY_COMPILER_GCC || HWY_COMPILER_CLANG)
#define SHIMMY_X86_VNNI 1
#else
#define SHIMMY_X86_VNNI 0
#endif

// Adjacent pairs of u8 * i8 products summed into i16 (saturating; callers
// keep |a| * |b| * 2 below 32768 so it never saturates).
HWY_INLINE VI16 MulPairsU8I8(VU8 a, VI8 b) {
#if SHIMMY_X86_256
  return VI16{_mm256_maddubs_epi16(a.raw, b.raw)};
#elif SHIMMY_X86_128
  return VI16{_mm_maddubs_epi16(a.raw, b.raw)};
#else
  const D16 d16;
  const hn::RebindToUnsigned<D16> du16;
  const VI16 a_even = hn::BitCast(d16, hn::And(hn::BitCast(du16, a), hn::Set(du16, 0xFF)));
  const VI16 a_odd = hn::BitCast(d16, hn::ShiftRight<8>(hn::BitCast(du16, a)));
  const VI16 b_even = hn::ShiftRight<8>(hn::ShiftLeft<8>(hn::BitCast(d16, b)));
  const VI16 b_odd = hn::ShiftRight<8>(hn::BitCast(d16, b));
  return hn::SaturatedAdd(hn::Mul(a_even, b_even), hn::Mul(a_odd, b_odd));
#endif
}

// Adjacent pairs of i16 * i16 products summed into i32.
HWY_INLINE VI32 MulPairsI16(VI16 a, VI16 b) {
#if SHIMMY_X86_256
  return VI32{_mm256_madd_epi16(a.raw, b.raw)};
#elif SHIMMY_X86_128
  return VI32{_mm_madd_epi16(a.raw, b.raw)};
#else
  const D32 d32;
  const VI32 a_even = hn::ShiftRight<16>(hn::ShiftLeft<16>(hn::BitCast(d32, a)));
  const VI32 b_even = hn::ShiftRight<16>(hn::ShiftLeft<16>(hn::BitCast(d32, b)));
  const VI32 a_odd = hn::ShiftRight<16>(hn::BitCast(d32, a));
  const VI32 b_odd = hn::ShiftRight<16>(hn::BitCast(d32, b));
  return hn::Add(hn::Mul(a_even, b_even), hn::Mul(a_odd, b_odd));
#endif
}

// acc + MulPairsI16(a, b): one vpdpwssd with VNNI.
HWY_INLINE VI32 AddMulPairsI16(VI32 acc, VI16 a, VI16 b) {
#if SHIMMY_X86_VNNI
  asm("%{evex%} vpdpwssd %2, %1, %0" : "+v"(acc.raw) : "v"(a.raw), "v"(b.raw));
  return acc;
#else
  return hn::Add(acc, MulPairsI16(a, b));
#endif
}

// acc + the sums of each 4 adjacent u8 * i8 products, as i32 lanes: one
// vpdpbusd with VNNI (exact), else pmaddubsw + pmaddwd (exact under the
// same bound as MulPairsU8I8).
HWY_INLINE VI32 AddDotU8I8(VI32 acc, VU8 a, VI8 b) {
#if SHIMMY_X86_VNNI
  asm("%{evex%} vpdpbusd %2, %1, %0" : "+v"(acc.raw) : "v"(a.raw), "v"(b.raw));
  return acc;
#else
  return hn::Add(acc, MulPairsI16(MulPairsU8I8(a, b), hn::Set(D16(), 1)));
#endif
}

// b * sign(a): b where a > 0, -b where a < 0, 0 where a == 0.
HWY_INLINE VI8 ApplySign(VI8 b, VI8 a) {
#if SHIMMY_X86_256
  return VI8{_mm256_sign_epi8(b.raw, a.raw)};
#elif SHIMMY_X86_128
  return VI8{_mm_sign_epi8(b.raw, a.raw)};
#else
  const D8 d8;
  const VI8 zero = hn::Zero(d8);
  return hn::IfThenElse(hn::Lt(a, zero), hn::Sub(zero, b), hn::IfThenElseZero(hn::Ne(a, zero), b));
#endif
}

// Sum of the 32 products of a signed chunk w (|w| <= 127, given with its
// absolute value) and an int8 activation chunk y (y >= -127), as i32 lanes.
// pmaddubsw needs one unsigned operand, hence |w| * (y * sign(w)).
HWY_INLINE VI32 DotChunkSigned(const VU8* w_abs, const VI8* w, const int8_t* y) {
  const D8 d8;
  VI32 sum = hn::Zero(D32());
  for (size_t c = 0; c < kC; ++c) {
    sum = AddDotU8I8(sum, w_abs[c], ApplySign(hn::LoadU(d8, y + c * kN8), w[c]));
  }
  return sum;
}

// acc + DotChunkSigned with the pair sums weighted by i16 scale vectors.
HWY_INLINE VI32 DotChunkSignedScaled(VI32 acc, const VU8* w_abs, const VI8* w, const int8_t* y,
                                     const VI16* scale) {
  const D8 d8;
  for (size_t c = 0; c < kC; ++c) {
    const VI8 yv = hn::LoadU(d8, y + c * kN8);
    acc = AddMulPairsI16(acc, MulPairsU8I8(w_abs[c], ApplySign(yv, w[c])), scale[c]);
  }
  return acc;
}

// acc + the sum of the products of an unsigned chunk (values < 64) and an
// int8 activation chunk, each half of 16 weighted by its i16 scale vector.
HWY_INLINE VI32 DotChunkScaled(VI32 acc, const VU8* w, const int8_t* y, const VI16* scale) {
  const D8 d8;
  for (size_t c = 0; c < kC; ++c) {
    acc = AddMulPairsI16(acc, MulPairsU8I8(w[c], hn::LoadU(d8, y + c * kN8)), scale[c]);
  }
  return acc;
}

// 16 bytes -> a chunk of their low nibbles followed by their high nibbles.
HWY_INLINE void ExpandNibbles(const uint8_t* p, VU8* out) {
  const DU8 du8;
  if constexpr (kC == 1) {
    const hn::Half<DU8> dh;
    const auto q = hn::LoadU(dh, p);
    const auto mask = hn::Set(dh, 0x0F);
    out[0] = hn::Combine(du8, hn::And(hn::ShiftRight<4>(q), mask), hn::And(q, mask));
  } else {
    const VU8 q = hn::LoadU(du8, p);
    out[0] = hn::And(q, hn::Set(du8, 0x0F));
    out[1] = hn::ShiftRight<4>(q);
  }
}

// Bit j of the little-endian 32-bit word at p -> 0xFF (set) or 0 in byte j.
HWY_INLINE void ExpandBits32(const uint8_t* p, VU8* out) {
  const DU8 du8;
  alignas(32) static constexpr uint8_t kByteOf[32] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
                                                      1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
                                                      2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  alignas(32) static constexpr uint8_t kBitOf[32] = {1,  2,   4,  8,  16,  32, 64, 128, 1,  2,  4,
                                                     8,  16,  32, 64, 128, 1,  2,  4,   8,  16, 32,
                                                     64, 128, 1,  2,  4,   8,  16, 32,  64, 128};
  uint32_t word;
  std::memcpy(&word, p, 4);
  const VU8 bytes = hn::BitCast(du8, hn::Set(DU32(), word));  // word in every 4 bytes
  for (size_t c = 0; c < kC; ++c) {
    const VU8 spread = hn::TableLookupBytes(bytes, hn::Load(du8, kByteOf + c * kN8));
    out[c] = hn::VecFromMask(du8, hn::TestBit(spread, hn::Load(du8, kBitOf + c * kN8)));
  }
}

// Maps a chunk of 4-bit codes through a 16-entry int8 codebook.
HWY_INLINE void LookupCodebook(const VU8* codes, const int8_t* table16, VI8* out) {
  const D8 d8;
  const VI8 table = hn::LoadDup128(d8, table16);
  for (size_t c = 0; c < kC; ++c) out[c] = hn::TableLookupBytes(table, hn::BitCast(d8, codes[c]));
}

// Scalar F16 -> F32 for block scales: the F16C instruction where the target
// has it, the portable bit manipulation otherwise.
HWY_INLINE float HalfToFloat(uint16_t h) {
#if SHIMMY_X86_256
  return _cvtsh_ss(h);
#else
  return F16ToF32(h);
#endif
}

// Weights stream from DRAM once per token. The hardware prefetchers stop at
// 4 KiB page boundaries and run too short a distance to hide DRAM latency on
// this project's VMs, so the dot kernels ask for the lines this far ahead of
// the weight they are reading. Measured on Qwen2.5-0.5B Q8_0 decode, 2
// threads: 52 tok/s without, 62-65 with 2 KiB (512 B: no gain; 4-8 KiB:
// slightly less). Prefetching past a row's end reads the next row, which
// the same thread takes next; past the matrix end it is harmless.
constexpr size_t kPrefetchDistance = 2048;

// Requests the cache lines of [p, p + kBytes) kPrefetchDistance ahead.
template <size_t kBytes>
HWY_INLINE void PrefetchAhead(const void* p) {
  const auto* at = static_cast<const uint8_t*>(p) + kPrefetchDistance;
  for (size_t offset = 0; offset < kBytes; offset += 64) hwy::Prefetch(at + offset);
}

// Makes GCC finish the sums of one chunk before starting the next. Without
// it the reassociation pass turns a fully unrolled block loop into a tree of
// adds that needs every chunk's products at once, and those spill to the
// stack (seen in Q4_K/Q6_K prefill: ~25 ymm stores per block).
template <size_t kT>
HWY_INLINE void CloseSums(VI32* isum) {
#if HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128 && (HWY_COMPILER_GCC || HWY_COMPILER_CLANG)
  for (size_t t = 0; t < kT; ++t) asm("" : "+v"(isum[t].raw));
#else
  (void)isum;
#endif
}

HWY_INLINE float ReduceSum(VF v) { return hn::GetLane(hn::SumOfLanes(DF(), v)); }

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
