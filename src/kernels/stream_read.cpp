// Per-target byte-summing reader (compiled once per Highway target through
// foreach_target.h) and the dispatching public functions.

#include "kernels/stream_read.h"

#include <algorithm>
#include <atomic>
#include <chrono>

// clang-format off: foreach_target.h must come first, then highway.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/stream_read.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

uint64_t StreamReadChecksumImpl(const std::byte* p, size_t bytes) {
  const auto* in = reinterpret_cast<const uint8_t*>(p);
  const hn::ScalableTag<uint8_t> d8;
  const hn::Repartition<uint64_t, decltype(d8)> d64;
  const size_t n = hn::Lanes(d8);
  // Four independent add chains, so loads never wait on one another.
  // SumsOf8 adds each group of 8 bytes into a 64-bit lane; lanes wrap
  // modulo 2^64 exactly like the scalar sum.
  auto acc0 = hn::Zero(d64), acc1 = hn::Zero(d64), acc2 = hn::Zero(d64), acc3 = hn::Zero(d64);
  size_t i = 0;
  for (; i + 4 * n <= bytes; i += 4 * n) {
    acc0 = hn::Add(acc0, hn::SumsOf8(hn::LoadU(d8, in + i)));
    acc1 = hn::Add(acc1, hn::SumsOf8(hn::LoadU(d8, in + i + n)));
    acc2 = hn::Add(acc2, hn::SumsOf8(hn::LoadU(d8, in + i + 2 * n)));
    acc3 = hn::Add(acc3, hn::SumsOf8(hn::LoadU(d8, in + i + 3 * n)));
  }
  for (; i + n <= bytes; i += n) acc0 = hn::Add(acc0, hn::SumsOf8(hn::LoadU(d8, in + i)));
  const auto acc = hn::Add(hn::Add(acc0, acc1), hn::Add(acc2, acc3));
  HWY_ALIGN uint64_t lanes[HWY_MAX_BYTES / sizeof(uint64_t)];
  hn::Store(acc, d64, lanes);
  uint64_t sum = 0;
  for (size_t j = 0; j < hn::Lanes(d64); ++j) sum += lanes[j];
  for (; i < bytes; ++i) sum += in[i];
  return sum;
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shimmy {

HWY_EXPORT(StreamReadChecksumImpl);

uint64_t StreamReadChecksum(const std::byte* p, size_t bytes) {
  return HWY_DYNAMIC_DISPATCH(StreamReadChecksumImpl)(p, bytes);
}

double MeasureReadBandwidth(const std::byte* p, size_t bytes, const ParallelFor& par, int passes) {
  if (bytes == 0 || passes <= 0) return 0.0;
  constexpr size_t kPage = 4096;
  const auto n_pages = static_cast<int64_t>((bytes + kPage - 1) / kPage);
  // Kept so the reads have an observable result.
  static std::atomic<uint64_t> sink{0};
  double best_seconds = 0.0;
  for (int pass = 0; pass < passes; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    par(n_pages, [&](int64_t begin, int64_t end) {
      const size_t first = static_cast<size_t>(begin) * kPage;
      const size_t last = std::min(bytes, static_cast<size_t>(end) * kPage);
      sink.fetch_add(StreamReadChecksum(p + first, last - first), std::memory_order_relaxed);
    });
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (pass == 0 || seconds < best_seconds) best_seconds = seconds;
  }
  return static_cast<double>(bytes) / std::max(best_seconds, 1e-9);
}

}  // namespace shimmy
#endif  // HWY_ONCE
