// Resource behaviour of the pool: idle CPU use and thread lifetime.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "threading/thread_pool.h"

namespace shimmy {
namespace {

using namespace std::chrono_literals;

std::chrono::microseconds ProcessCpuTime() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto to_us = [](const timeval& tv) {
    return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  };
  return to_us(usage.ru_utime) + to_us(usage.ru_stime);
}

int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

// pthread_join returns once the kernel clears the worker's tid, which is a
// little before the task is reaped and leaves /proc's count, so a joined
// thread can still be counted for a moment. Wait (bounded) for the count to
// reach `expected` and return what was last seen.
int ThreadCountOnceSettled(int expected) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  int count = ThreadCount();
  while (count != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
    count = ThreadCount();
  }
  return count;
}

TEST(ThreadPoolIdle, IdlePoolUsesNoCpu) {
  ThreadPool pool(4);
  std::atomic<int64_t> sum{0};
  for (int rep = 0; rep < 10000; ++rep) {
    pool.ParallelFor(64, [&](int64_t begin, int64_t end) { sum += end - begin; });
  }
  ASSERT_EQ(sum.load(), 10000 * 64);

  // Measurement window: the pool has nothing to do for 300 ms. Workers may
  // spin for their budget (100 us each) and must then sleep; this thread
  // sleeps too, so nearly nothing should be charged to the process.
  const auto cpu_before = ProcessCpuTime();
  std::this_thread::sleep_for(300ms);
  const auto cpu_used = ProcessCpuTime() - cpu_before;
  // Busy-waiting workers would charge ~3 x 300 ms here.
  EXPECT_LT(cpu_used, 15ms) << "idle pool consumed " << cpu_used.count() << " us of CPU";
}

TEST(ThreadPoolIdle, DestructorJoinsEveryWorker) {
  const int before = ThreadCount();
  ASSERT_GT(before, 0);
  for (int rep = 0; rep < 20; ++rep) {
    ThreadPool pool(5);
    // More than 4 new threads would be a worker leaked from the last round.
    EXPECT_EQ(ThreadCountOnceSettled(before + 4), before + 4);
    std::atomic<int> n_calls{0};
    pool.ParallelFor(100, [&](int64_t, int64_t) { n_calls++; });
    EXPECT_EQ(n_calls.load(), 5);
  }
  // Joined threads leave /proc (a detached straggler would stay counted).
  EXPECT_EQ(ThreadCountOnceSettled(before), before);
}

TEST(ThreadPoolIdle, DestroyingAFreshPoolDoesNotHang) {
  for (int rep = 0; rep < 50; ++rep) ThreadPool pool(3);
  SUCCEED();
}

}  // namespace
}  // namespace shimmy
