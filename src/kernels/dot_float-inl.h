// Dot-product kernels for float weights (F32, F16, BF16) against activations
// of the same type: one weight row times kT activation rows, accumulated in
// float32 lanes of the widest vector the target has (AVX-512: 16 lanes).
// F16/BF16 are widened to float32 before multiplying, as llama.cpp does.

#if defined(SHIMMY_KERNELS_DOT_FLOAT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHIMMY_KERNELS_DOT_FLOAT_INL_H_
#undef SHIMMY_KERNELS_DOT_FLOAT_INL_H_
#else
#define SHIMMY_KERNELS_DOT_FLOAT_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "kernels/simd_common-inl.h"
#include "tensor/half.h"

// HWY_SCALAR (1-lane vectors; CPUs without SSSE3, or GCC < 12.3 in place of
// EMU128) uses the scalar reference instead, see matmul.cpp.
#if HWY_TARGET != HWY_SCALAR
HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Element access for the three float formats: a vector load widened to
// float32, and a scalar load for the tail.
struct F32Format {
  static constexpr size_t kBytes = 4;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const uint8_t* p, size_t i) {
    return hn::LoadU(d, reinterpret_cast<const float*>(p) + i);
  }
  static HWY_INLINE float LoadOne(const uint8_t* p, size_t i) {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
};

struct F16Format {
  static constexpr size_t kBytes = 2;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const uint8_t* p, size_t i) {
    const hn::Rebind<hwy::float16_t, D> dh;
    return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p) + i));
  }
  static HWY_INLINE float LoadOne(const uint8_t* p, size_t i) {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    return F16ToF32(v);
  }
};

struct BF16Format {
  static constexpr size_t kBytes = 2;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const uint8_t* p, size_t i) {
    const hn::Rebind<hwy::bfloat16_t, D> dh;
    return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::bfloat16_t*>(p) + i));
  }
  static HWY_INLINE float LoadOne(const uint8_t* p, size_t i) {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    return Bf16ToF32(v);
  }
};

// out[t] = sum_i w[i] * act_t[i] over n elements (any n).
template <class Format, size_t kT>
HWY_INLINE void DotFloatRows(const void* w_row, const uint8_t* const* acts, int64_t n,
                             float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const size_t lanes = hn::Lanes(df);
  const auto* w = static_cast<const uint8_t*>(w_row);
  // Two accumulators per token hide the FMA latency when kT is small.
  hn::Vec<decltype(df)> acc0[kT], acc1[kT];
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) acc0[t] = acc1[t] = hn::Zero(df);
  const size_t size = static_cast<size_t>(n);
  size_t i = 0;
  for (; i + 2 * lanes <= size; i += 2 * lanes) {
    PrefetchAhead<1>(w + Format::kBytes * i);
    const auto w0 = Format::Load(df, w, i);
    const auto w1 = Format::Load(df, w, i + lanes);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) {
      acc0[t] = hn::MulAdd(w0, Format::Load(df, acts[t], i), acc0[t]);
      acc1[t] = hn::MulAdd(w1, Format::Load(df, acts[t], i + lanes), acc1[t]);
    }
  }
  for (; i + lanes <= size; i += lanes) {
    const auto w0 = Format::Load(df, w, i);
    HWY_UNROLL(4)
    for (size_t t = 0; t < kT; ++t) acc0[t] = hn::MulAdd(w0, Format::Load(df, acts[t], i), acc0[t]);
  }
  HWY_UNROLL(4)
  for (size_t t = 0; t < kT; ++t) {
    float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(acc0[t], acc1[t])));
    for (size_t j = i; j < size; ++j) sum += Format::LoadOne(w, j) * Format::LoadOne(acts[t], j);
    out[t] = sum;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();
#endif  // HWY_TARGET != HWY_SCALAR

#endif  // include guard toggle
