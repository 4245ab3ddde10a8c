#include "threading/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace shimmy {
namespace {

using namespace std::chrono_literals;

struct Case {
  ParallelSchedule schedule;
  int64_t chunk;
};

constexpr Case kCases[] = {
    {ParallelSchedule::kStatic, 0},     {ParallelSchedule::kStatic, 3},  {ParallelSchedule::kStatic, 1000},
    {ParallelSchedule::kDynamic, 0},    {ParallelSchedule::kDynamic, 1}, {ParallelSchedule::kDynamic, 7},
    {ParallelSchedule::kDynamic, 4096},
};

// Runs one ParallelForWorker and checks every index is seen exactly once, no
// range is empty, dynamic ranges respect the chunk, and worker ids are valid.
void CheckCoverage(ThreadPool& pool, int64_t n, const Case& c) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int> bad_range{0};
  std::atomic<int> bad_worker{0};
  pool.ParallelForWorker(
      n,
      [&](int64_t begin, int64_t end, int worker) {
        if (begin < 0 || end > n || begin >= end) bad_range++;
        if (c.schedule == ParallelSchedule::kDynamic && c.chunk > 0 && end - begin > c.chunk) bad_range++;
        if (worker < 0 || worker >= pool.n_threads()) bad_worker++;
        for (int64_t i = begin; i < end; ++i) hits[static_cast<size_t>(i)]++;
      },
      {.schedule = c.schedule, .chunk = c.chunk});
  EXPECT_EQ(bad_range.load(), 0);
  EXPECT_EQ(bad_worker.load(), 0);
  int64_t wrong = 0;
  for (auto& h : hits) wrong += h.load() != 1;
  EXPECT_EQ(wrong, 0) << "n=" << n << " threads=" << pool.n_threads() << " chunk=" << c.chunk;
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int n_threads : {1, 2, 3, 4, 7}) {
    ThreadPool pool(n_threads);
    ASSERT_EQ(pool.n_threads(), n_threads);
    const int64_t t = n_threads;
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, t - 1, t, t + 1, 2 * t + 1, int64_t{100},
                      int64_t{1000}, int64_t{12345}, int64_t{1} << 20}) {
      if (n < 0) continue;
      for (const Case& c : kCases) CheckCoverage(pool, n, c);
    }
  }
}

TEST(ThreadPool, PlainParallelForSeesWholeRange) {
  ThreadPool pool(4);
  std::vector<int> out(1000, 0);
  pool.ParallelFor(1000, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = static_cast<int>(i) * 2;
  });
  // Plain (non-atomic) writes from workers must be visible after return.
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(out[i], 2 * i);
}

TEST(ThreadPool, DefaultSizeIsAtLeastOne) {
  ThreadPool pool;
  EXPECT_GE(pool.n_threads(), 1);
  ThreadPool negative(-3);
  EXPECT_EQ(negative.n_threads(), pool.n_threads());
}

TEST(ThreadPool, StaticSplitIsBalanced) {
  ThreadPool pool(4);
  std::mutex mu;
  std::set<std::pair<int64_t, int64_t>> ranges;
  pool.ParallelFor(10, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mu);
    ranges.insert({begin, end});
  });
  const std::set<std::pair<int64_t, int64_t>> expected = {{0, 3}, {3, 6}, {6, 8}, {8, 10}};
  EXPECT_EQ(ranges, expected);
}

TEST(ThreadPool, StaticMinimumRangeLimitsWorkers) {
  ThreadPool pool(4);
  std::atomic<int> n_calls{0};
  pool.ParallelFor(10, [&](int64_t, int64_t) { n_calls++; }, {.chunk = 5});
  EXPECT_EQ(n_calls.load(), 2);
}

TEST(ThreadPool, CallerIsWorkerZeroAndWorkersNeverShareAnIndex) {
  ThreadPool pool(4);
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::atomic<bool>> busy(4);
  std::atomic<int> overlaps{0};
  std::atomic<int> worker0_elsewhere{0};
  for (int rep = 0; rep < 200; ++rep) {
    pool.ParallelForWorker(257,
                           [&](int64_t, int64_t, int worker) {
                             if (worker == 0 && std::this_thread::get_id() != caller)
                               worker0_elsewhere++;
                             if (busy[worker].exchange(true)) overlaps++;
                             busy[worker].store(false);
                           },
                           {.schedule = ParallelSchedule::kDynamic, .chunk = 1});
  }
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(worker0_elsewhere.load(), 0);
}

TEST(ThreadPool, NestedCallRunsInlineOnTheSameWorker) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(30 * 20);
  std::atomic<int> mismatched{0};
  pool.ParallelForWorker(30,
                         [&](int64_t begin, int64_t end, int outer_worker) {
                           for (int64_t i = begin; i < end; ++i) {
                             pool.ParallelForWorker(20,
                                                    [&](int64_t b, int64_t e, int inner_worker) {
                                                      if (inner_worker != outer_worker)
                                                        mismatched++;
                                                      for (int64_t j = b; j < e; ++j)
                                                        hits[i * 20 + j]++;
                                                    });
                           }
                         },
                         {.schedule = ParallelSchedule::kDynamic, .chunk = 1});
  EXPECT_EQ(mismatched.load(), 0);
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, CallsFromSeveralThreadsAreSerialisedCorrectly) {
  ThreadPool pool(3);
  auto drive = [&](std::atomic<int64_t>* sum) {
    for (int rep = 0; rep < 500; ++rep) {
      pool.ParallelFor(100, [&](int64_t begin, int64_t end) {
        int64_t local = 0;
        for (int64_t i = begin; i < end; ++i) local += i;
        *sum += local;
      });
    }
  };
  std::atomic<int64_t> a{0}, b{0};
  std::thread ta(drive, &a), tb(drive, &b);
  ta.join();
  tb.join();
  EXPECT_EQ(a.load(), 500 * 4950);
  EXPECT_EQ(b.load(), 500 * 4950);
}

TEST(ThreadPool, TwoPoolsCanBeUsedInTurn) {
  ThreadPool first(2);
  ThreadPool second(3);
  std::atomic<int64_t> sum{0};
  for (int rep = 0; rep < 100; ++rep) {
    ThreadPool& pool = rep % 2 ? first : second;
    pool.ParallelFor(64, [&](int64_t begin, int64_t end) { sum += end - begin; });
  }
  EXPECT_EQ(sum.load(), 100 * 64);
}

TEST(ThreadPool, ManyTinyJobsFinishQuickly) {
  ThreadPool pool(4);
  std::atomic<int64_t> sum{0};
  constexpr int kJobs = 100000;
  const auto start = std::chrono::steady_clock::now();
  for (int rep = 0; rep < kJobs; ++rep) {
    pool.ParallelFor(pool.n_threads(), [&](int64_t begin, int64_t end) { sum += end - begin; });
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(sum.load(), int64_t{kJobs} * pool.n_threads());
  // ~1-5 us each when cores are free; generous for loaded CI machines and
  // sanitizer builds, yet a lost wake-up or per-call sleep would blow it.
  EXPECT_LT(elapsed, 20s);
}

TEST(ThreadPool, WorkersWakeFromSleepWithoutSpinning) {
  // spin = 0: every job goes through the futex sleep/wake path, which is
  // where a lost wake-up would hang.
  ThreadPool pool(4, std::chrono::microseconds(0));
  std::atomic<int64_t> sum{0};
  for (int rep = 0; rep < 20000; ++rep) {
    pool.ParallelFor(8, [&](int64_t begin, int64_t end) { sum += end - begin; });
  }
  EXPECT_EQ(sum.load(), 20000 * 8);
}

// Every piece waits until all pieces have started, so the job only finishes
// if every worker was woken and claimed one. (Kernels must not do this; here
// it forces the wake-up path to deliver to each worker.) spin = 0 makes every
// round start from sleeping workers.
TEST(ThreadPool, EveryWorkerIsWokenForEveryJob) {
  ThreadPool pool(4, std::chrono::microseconds(0));
  std::atomic<int> stuck{0};
  for (int rep = 0; rep < 500 && stuck.load() == 0; ++rep) {
    std::atomic<int> started{0};
    std::vector<std::atomic<int>> by_worker(4);
    pool.ParallelForWorker(4, [&](int64_t, int64_t, int worker) {
      by_worker[worker]++;
      started++;
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (started.load() < 4) {
        if (std::chrono::steady_clock::now() > deadline) {
          stuck++;
          return;
        }
        std::this_thread::yield();
      }
    });
    for (auto& count : by_worker) ASSERT_EQ(count.load(), 1);
  }
  EXPECT_EQ(stuck.load(), 0);
}

TEST(ThreadPool, WorksAfterWorkersFellAsleep) {
  ThreadPool pool(4, std::chrono::microseconds(50));
  std::atomic<int64_t> sum{0};
  for (int rep = 0; rep < 5; ++rep) {
    pool.ParallelFor(1000, [&](int64_t begin, int64_t end) { sum += end - begin; });
    std::this_thread::sleep_for(20ms);  // long past the spin: workers sleep
  }
  EXPECT_EQ(sum.load(), 5000);
}

}  // namespace
}  // namespace shimmy
