// A fork-join thread pool for compute kernels.
//
//   ThreadPool pool;                       // one thread per physical core
//   pool.ParallelFor(n_rows, [&](int64_t begin, int64_t end) {
//     for (int64_t r = begin; r < end; ++r) MatVecRow(r);
//   });
//   pool.ParallelForWorker(n, [&](int64_t begin, int64_t end, int worker) {
//     float* scratch = scratch_base + worker * scratch_stride;  // per-thread
//     ...
//   });
//
// Why our own pool: a decode step issues hundreds of ParallelFor calls per
// token, each only a few microseconds of work, so dispatch latency dominates.
// Workers therefore spin briefly (`spin`, default 100 us) after each job,
// waiting for the next one, and only then sleep on a futex. An idle pool uses
// no CPU. The calling thread takes part as worker 0, so a pool of N threads
// starts N - 1 std::threads.
//
// Thread-safety: ParallelFor is meant to be driven by one controlling thread
// at a time (the engine thread). Calls from different threads are serialised
// by an internal mutex (correct, never concurrent). A ParallelFor issued from
// inside a job of the same pool runs inline on the calling worker, with that
// worker's index, instead of deadlocking.
//
// Kernel contract: `fn` must not throw (ParallelFor is noexcept; a throw
// terminates) and must not block waiting for another chunk of the same call.
// Every index in [0, n) is passed to exactly one call of `fn`; empty ranges
// are never passed. ParallelFor returns after every call of `fn` has returned,
// and all their writes are visible to the caller.
//
// Ranges are claimed from a shared counter by whichever thread is free, so
// the caller never waits for a worker the OS has not scheduled yet: on a
// loaded or oversubscribed machine it simply runs more ranges itself.
//
// Cost: dispatch is a few atomic operations plus one cache-line transfer per
// worker while workers are spinning; a futex wake-up (~10-50 us) when they
// have gone to sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "threading/function_ref.h"

namespace shimmy {

enum class ParallelSchedule {
  // [0, n) is cut into at most n_threads contiguous ranges whose sizes differ
  // by at most one; each goes to whichever thread claims it first (usually one
  // per worker). Best for uniform work (matmul rows): fewest hand-offs.
  kStatic,
  // Workers repeatedly take the next `chunk` indices from a shared atomic
  // counter. For uneven work (attention over sequences of different length).
  kDynamic,
};

struct ParallelForOptions {
  ParallelSchedule schedule = ParallelSchedule::kStatic;
  // kStatic: the smallest range worth giving a worker; small n uses fewer
  //   workers (ceil(n / chunk)). 0 or 1: every worker gets work when n allows.
  // kDynamic: indices taken per counter increment; no range is longer.
  //   0: automatic, about n / (8 * n_threads), at least 1. (Raised only if
  //   n / chunk would exceed 2^31 ranges.)
  int64_t chunk = 0;
};

class ThreadPool {
 public:
  static constexpr std::chrono::microseconds kDefaultSpin{100};

  // n_threads <= 0: PhysicalCoreCount(). `spin`: how long an idle worker (and
  // the waiting caller) busy-waits for more work before sleeping.
  explicit ThreadPool(int n_threads = 0, std::chrono::microseconds spin = kDefaultSpin);
  // Wakes and joins every worker. Must not run concurrently with ParallelFor.
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Total workers including the calling thread; at least 1.
  int n_threads() const { return n_threads_; }

  // fn(int64_t begin, int64_t end) over a partition of [0, n).
  template <class Fn>
  void ParallelFor(int64_t n, Fn&& fn, const ParallelForOptions& options = {}) noexcept {
    auto adapter = [&fn](int64_t begin, int64_t end, int /*worker*/) { fn(begin, end); };
    Run(n, options, Kernel(adapter));
  }

  // fn(int64_t begin, int64_t end, int worker), worker in [0, n_threads()).
  // Calls that share a worker index never run concurrently, so the index can
  // select per-thread scratch memory.
  template <class Fn>
  void ParallelForWorker(int64_t n, Fn&& fn, const ParallelForOptions& options = {}) noexcept {
    Run(n, options, Kernel(fn));
  }

 private:
  using Kernel = FunctionRef<void(int64_t, int64_t, int)>;
  struct State;

  void Run(int64_t n, const ParallelForOptions& options, Kernel kernel) noexcept;

  int n_threads_;
  std::unique_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace shimmy
