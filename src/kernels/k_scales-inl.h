// Scale handling for the K-quant kernels (dot_k-inl.h): unpacking the packed
// sub-block scales with word-wide bit operations, widening them to i16
// lanes, and broadcasting the right scale to the lanes of each 32-value
// chunk with a byte shuffle (no per-sub-block scalar work).
//
// Lane layout reminder: MulPairsU8I8 turns a chunk into i16 lanes where
// 8 consecutive lanes cover 16 consecutive values, and every 128-bit block
// of a D16 vector covers 16 values. A "dup" vector holds 8 i16 scales
// repeated in every 128-bit block, so in-block shuffles can pick any of them.

#if defined(SHIMMY_KERNELS_K_SCALES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_K_SCALES_INL_H_
#undef SHIMMY_KERNELS_K_SCALES_INL_H_
#else
#define SHIMMY_KERNELS_K_SCALES_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include "kernels/simd_common-inl.h"
#include "quant/block_types.h"

#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {

using DU16 = hn::RebindToUnsigned<D16>;
constexpr size_t kN16 = kN8 / 2;  // i16 lanes per vector

struct alignas(32) ByteTable {
  uint8_t b[32];
};

// Shuffle picking i16 lane `first` for the first 128-bit block (values 0-15
// of a chunk) and lane `second` for the second block (values 16-31).
constexpr ByteTable PairIndex(int first, int second) {
  ByteTable t{};
  for (int i = 0; i < 32; ++i) t.b[i] = static_cast<uint8_t>(2 * (i < 16 ? first : second) + i % 2);
  return t;
}

// 16 bytes -> 16 i16 lanes, spread over kC vectors (kN16 lanes each).
HWY_INLINE void WidenU8x16(const uint8_t* p, VI16* out) {
  const hn::Rebind<uint8_t, DU16> d8;
  for (size_t c = 0; c < kC; ++c) {
    out[c] = hn::BitCast(D16(), hn::PromoteTo(DU16(), hn::LoadU(d8, p + c * kN16)));
  }
}

HWY_INLINE void WidenI8x16(const int8_t* p, VI16* out) {
  const hn::Rebind<int8_t, D16> d8;
  for (size_t c = 0; c < kC; ++c) out[c] = hn::PromoteTo(D16(), hn::LoadU(d8, p + c * kN16));
}

// 8 bytes -> 8 i16 lanes repeated in every 128-bit block.
HWY_INLINE VI16 WidenU8x8Dup(const uint8_t* p) {
  if constexpr (kC == 1) {
    const hn::Half<DU16> dh;
    const hn::Rebind<uint8_t, decltype(dh)> d8;
    const auto v = hn::PromoteTo(dh, hn::LoadU(d8, p));
    return hn::BitCast(D16(), hn::Combine(DU16(), v, v));
  } else {
    const hn::Rebind<uint8_t, DU16> d8;
    return hn::BitCast(D16(), hn::PromoteTo(DU16(), hn::LoadU(d8, p)));
  }
}

// Scales 8h..8h+7 of 16 scales held as kC vectors, repeated in every block.
HWY_INLINE VI16 HalfDup(const VI16* s16, int h) {
  if constexpr (kC == 1) {
    return h == 0 ? hn::ConcatLowerLower(D16(), s16[0], s16[0])
                  : hn::ConcatUpperUpper(D16(), s16[0], s16[0]);
  } else {
    return s16[h];
  }
}

HWY_INLINE VI16 Shuffle16(VI16 dup, const uint8_t* index) {
  const DU8 du8;
  return hn::BitCast(D16(), hn::TableLookupBytes(hn::BitCast(du8, dup), hn::Load(du8, index)));
}

// Sub-blocks of 16: chunk g of a half uses scales 2g (values 0-15) and
// 2g+1 (values 16-31) of `dup`.
HWY_INLINE void ChunkScales16(VI16 dup, int g, VI16* out) {
  static constexpr ByteTable kIndex[4] = {PairIndex(0, 1), PairIndex(2, 3), PairIndex(4, 5),
                                          PairIndex(6, 7)};
  for (size_t c = 0; c < kC; ++c) out[c] = Shuffle16(dup, kIndex[g].b + c * kN8);
}

// Sub-blocks of 32: chunk s uses scale s of `dup` throughout.
HWY_INLINE void ChunkScales32(VI16 dup, int s, VI16* out) {
  static constexpr ByteTable kIndex[8] = {PairIndex(0, 0), PairIndex(1, 1), PairIndex(2, 2),
                                          PairIndex(3, 3), PairIndex(4, 4), PairIndex(5, 5),
                                          PairIndex(6, 6), PairIndex(7, 7)};
  const VI16 v = Shuffle16(dup, kIndex[s].b);
  for (size_t c = 0; c < kC; ++c) out[c] = v;
}

// The 8 per-32 values of `dup` expanded to the 16 per-16 bsum slots
// (m0 m0 m1 m1 ... m7 m7) as kC vectors.
HWY_INLINE void PairsForBsums(VI16 dup, VI16* out) {
  static constexpr ByteTable kIndex = {{0,  1,  0,  1,  2,  3,  2,  3,  4,  5,  4,
                                        5,  6,  7,  6,  7,  8,  9,  8,  9,  10, 11,
                                        10, 11, 12, 13, 12, 13, 14, 15, 14, 15}};
  for (size_t c = 0; c < kC; ++c) out[c] = Shuffle16(dup, kIndex.b + c * kN8);
}

// sum_k bsums[k] * w[k] over the 16 bsums of a Q8_K block, as i32 lanes.
HWY_INLINE VI32 BsumProducts(const BlockQ8_K& a, const VI16* w) {
  const auto* bsums = reinterpret_cast<const int16_t*>(reinterpret_cast<const uint8_t*>(&a) +
                                                       offsetof(BlockQ8_K, bsums));
  VI32 sum = hn::Zero(D32());
  for (size_t c = 0; c < kC; ++c) {
    sum = AddMulPairsI16(sum, hn::LoadU(D16(), bsums + c * kN16), w[c]);
  }
  return sum;
}

// Q4_K/Q5_K: the eight 6-bit scales and mins (layout in block_types.h).
HWY_INLINE void UnpackScaleMinK4(const uint8_t* packed, uint8_t* sc, uint8_t* mn) {
  uint32_t a[3];
  std::memcpy(a, packed, 12);
  const uint32_t sc_lo = a[0] & 0x3f3f3f3fu;
  const uint32_t mn_lo = a[1] & 0x3f3f3f3fu;
  const uint32_t sc_hi = (a[2] & 0x0f0f0f0fu) | (((a[0] >> 6) & 0x03030303u) << 4);
  const uint32_t mn_hi = ((a[2] >> 4) & 0x0f0f0f0fu) | (((a[1] >> 6) & 0x03030303u) << 4);
  std::memcpy(sc, &sc_lo, 4);
  std::memcpy(sc + 4, &sc_hi, 4);
  std::memcpy(mn, &mn_lo, 4);
  std::memcpy(mn + 4, &mn_hi, 4);
}

// Q3_K: the sixteen 6-bit scales, still biased by +32.
HWY_INLINE void UnpackScalesQ3K(const uint8_t* packed, uint8_t* out) {
  uint32_t a[3];
  std::memcpy(a, packed, 12);
  const uint32_t s[4] = {
      (a[0] & 0x0f0f0f0fu) | (((a[2] >> 0) & 0x03030303u) << 4),
      (a[1] & 0x0f0f0f0fu) | (((a[2] >> 2) & 0x03030303u) << 4),
      ((a[0] >> 4) & 0x0f0f0f0fu) | (((a[2] >> 4) & 0x03030303u) << 4),
      ((a[1] >> 4) & 0x0f0f0f0fu) | (((a[2] >> 6) & 0x03030303u) << 4),
  };
  std::memcpy(out, s, 16);
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
