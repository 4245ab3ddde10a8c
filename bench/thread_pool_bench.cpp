// Dispatch latency of ThreadPool::ParallelFor: the cost a kernel pays per
// call on top of its own work. A decode step makes hundreds of such calls per
// token, so this bounds how small a parallel kernel can usefully be.
//
//   cmake --build build --target thread_pool_bench && ./build/bench/thread_pool_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "threading/thread_pool.h"

namespace shimmy {
namespace {

void ThreadCounts(benchmark::internal::Benchmark* b) {
  const int n_cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int n = 1; n <= n_cpus; n *= 2) b->Arg(n);
}

// An empty job with one range per thread: pure fork-join overhead while the
// workers are still spinning (back-to-back calls, as in a decode step).
void BM_ParallelForEmpty(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    pool.ParallelFor(pool.n_threads(),
                     [](int64_t begin, int64_t end) { benchmark::DoNotOptimize(begin + end); });
  }
  state.SetLabel("threads=" + std::to_string(pool.n_threads()));
}
BENCHMARK(BM_ParallelForEmpty)->Apply(ThreadCounts)->UseRealTime();

// The same through the dynamic schedule: 8 ranges per thread from the counter.
void BM_ParallelForEmptyDynamic(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    pool.ParallelFor(int64_t{8} * pool.n_threads(),
                     [](int64_t begin, int64_t end) { benchmark::DoNotOptimize(begin + end); },
                     {.schedule = ParallelSchedule::kDynamic, .chunk = 1});
  }
}
BENCHMARK(BM_ParallelForEmptyDynamic)->Apply(ThreadCounts)->UseRealTime();

// A job that keeps every thread busy ~2 us, so that the workers (not just the
// caller) must take part; reports time beyond the 2 us of work.
void BM_ParallelFor2us(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)));
  const auto spin_for = [](std::chrono::nanoseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) {
    }
  };
  for (auto _ : state) {
    pool.ParallelFor(pool.n_threads(),
                     [&](int64_t, int64_t) { spin_for(std::chrono::microseconds(2)); });
  }
}
BENCHMARK(BM_ParallelFor2us)->Apply(ThreadCounts)->UseRealTime();

// Wake-up latency: workers have gone to sleep (spin = 0) before every call.
void BM_ParallelForFromSleep(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)), std::chrono::microseconds(0));
  std::atomic<int> seen{0};
  for (auto _ : state) {
    pool.ParallelFor(pool.n_threads(), [&](int64_t, int64_t) { seen++; });
  }
}
BENCHMARK(BM_ParallelForFromSleep)->Apply(ThreadCounts)->UseRealTime();

}  // namespace
}  // namespace shimmy

BENCHMARK_MAIN();
