// How kernels are told to run in parallel, without depending on a
// particular thread pool: a ParallelFor runs fn(begin, end) over a partition
// of [0, n), possibly concurrently, and returns when all calls are done.
//
//   ThreadPool pool;
//   ParallelFor par = [&pool](int64_t n, const RangeFn& fn) { pool.ParallelFor(n, fn); };
//   MatMul(w, x, y, y_stride, par);
//
// Kernels call a ParallelFor once per operation with n = a count of
// independent work items (e.g. blocks of output rows), never from inside
// `fn`. `fn` does not throw.
#pragma once

#include <cstdint>
#include <functional>

namespace shimmy {

using RangeFn = std::function<void(int64_t begin, int64_t end)>;
using ParallelFor = std::function<void(int64_t n, const RangeFn& fn)>;

// Runs everything on the calling thread.
inline void SerialFor(int64_t n, const RangeFn& fn) {
  if (n > 0) fn(0, n);
}

}  // namespace shimmy
