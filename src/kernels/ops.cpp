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

}  // namespace shimmy
#endif  // HWY_ONCE
