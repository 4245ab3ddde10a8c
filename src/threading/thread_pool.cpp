#include "threading/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <mutex>
#include <string>

#include "threading/cpu_topology.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace shimmy {
namespace {

using Clock = std::chrono::steady_clock;

// Futex helpers: sleep while *word == expected / wake every sleeper. The raw
// syscall (rather than std::atomic::wait) lets us skip the wake syscall when
// nobody sleeps, which we track ourselves, and keeps the behaviour the same
// across standard libraries.
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
#if defined(__linux__)
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
#else
  word->wait(expected, std::memory_order_seq_cst);
#endif
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
          nullptr, 0);
#else
  word->notify_all();
#endif
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Spins until pred() holds or `budget` elapses; returns whether it held. The
// clock is read only every few iterations: a pause is ~10-140 cycles, a
// steady_clock read ~20 ns.
template <class Pred>
bool SpinUntil(Pred pred, std::chrono::microseconds budget) {
  if (budget.count() <= 0) return pred();
  const Clock::time_point deadline = Clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (pred()) return true;
      CpuRelax();
    }
    if (Clock::now() >= deadline) return pred();
  }
}

// Set on each thread while it runs a job of some pool: detects nested calls.
thread_local const void* tls_pool = nullptr;
thread_local int tls_worker = 0;

// Runs a whole job on the calling thread, still honouring the dynamic chunk
// bound (a kernel may size its scratch by it).
template <class Kernel>
void RunInline(int64_t n, ParallelSchedule schedule, int64_t chunk, int worker, const Kernel& kernel) {
  if (schedule == ParallelSchedule::kStatic) {
    kernel(0, n, worker);
    return;
  }
  for (int64_t begin = 0; begin < n; begin += chunk) {
    kernel(begin, std::min(n, begin + chunk), worker);
  }
}

}  // namespace

// Everything workers touch.
//
// Protocol. A job is cut into `n_pieces` ranges. The caller writes the job
// fields, sets `unfinished` and then `remaining` (release) to n_pieces, and
// bumps `generation` to wake workers. Any thread - caller included - claims a
// piece with remaining.fetch_sub(1): an old value r > 0 means it owns piece
// n_pieces - r. The job cannot complete while a claimed piece runs, so the
// fields it then reads are stable. A worker that arrives late (or from an
// older job) finds r <= 0 and touches nothing else; the count merely goes
// further negative, by at most a few per worker per job, until the next
// job resets it. The caller returns once `unfinished` reaches 0.
//
// Why claiming instead of "piece w belongs to worker w": the caller never
// waits for a worker that has not been scheduled yet (oversubscribed or
// loaded machines); it takes that worker's piece itself.
struct ThreadPool::State {
  // Bumped once per job; idle workers wait for it to change.
  alignas(64) std::atomic<uint32_t> generation{0};
  std::atomic<uint32_t> n_sleeping{0};  // workers in FutexWait on generation
  std::atomic<bool> stop{false};
  std::atomic<int64_t> remaining{0};  // unclaimed pieces (may go negative)

  // Claimed-or-unclaimed pieces not yet finished; the caller waits for 0.
  alignas(64) std::atomic<uint32_t> unfinished{0};
  std::atomic<bool> caller_sleeping{false};

  // The current job: constant while any piece is unfinished.
  alignas(64) const Kernel* kernel = nullptr;
  int64_t n = 0;
  int64_t chunk = 0;  // kDynamic: range length
  int64_t n_pieces = 0;
  ParallelSchedule schedule = ParallelSchedule::kStatic;

  std::chrono::microseconds spin{0};
  std::mutex dispatch_mutex;  // serialises controlling threads

  void RunPiece(int64_t piece, int worker) const {
    int64_t begin = 0;
    int64_t end = 0;
    if (schedule == ParallelSchedule::kStatic) {
      const int64_t q = n / n_pieces;
      const int64_t r = n % n_pieces;
      begin = piece * q + std::min(piece, r);
      end = begin + q + (piece < r ? 1 : 0);
    } else {
      begin = piece * chunk;
      end = std::min(n, begin + chunk);
    }
    (*kernel)(begin, end, worker);
  }

  // Claims and runs pieces until none are left.
  void Work(int worker) {
    for (;;) {
      const int64_t r = remaining.fetch_sub(1, std::memory_order_acq_rel);
      if (r <= 0) return;
      RunPiece(n_pieces - r, worker);
      // seq_cst pairs with the caller's store of caller_sleeping before its
      // re-check (AwaitPieces): one of the two sees the other.
      if (unfinished.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
          caller_sleeping.load(std::memory_order_seq_cst)) {
        FutexWakeAll(&unfinished);
      }
    }
  }

  // Waits for `generation` to move past `seen`: spin first, then sleep.
  uint32_t AwaitJob(uint32_t seen) {
    uint32_t g = seen;
    auto changed = [&] {
      g = generation.load(std::memory_order_acquire);
      return g != seen;
    };
    if (SpinUntil(changed, spin)) return g;
    // Announce the sleep before re-checking, and the dispatcher bumps
    // `generation` before reading `n_sleeping` (all seq_cst): either we see
    // the new generation or it sees us and wakes us. FutexWait itself
    // re-checks the word atomically against a wake between load and sleep.
    n_sleeping.fetch_add(1, std::memory_order_seq_cst);
    while ((g = generation.load(std::memory_order_seq_cst)) == seen) {
      FutexWait(&generation, seen);
    }
    n_sleeping.fetch_sub(1, std::memory_order_relaxed);
    return g;
  }

  void WorkerLoop(int worker) {
    tls_pool = this;
    tls_worker = worker;
    uint32_t seen = 0;
    for (;;) {
      seen = AwaitJob(seen);
      if (stop.load(std::memory_order_acquire)) return;
      Work(worker);
    }
  }

  void AwaitPieces() {
    auto done = [&] { return unfinished.load(std::memory_order_acquire) == 0; };
    if (SpinUntil(done, spin)) return;
    caller_sleeping.store(true, std::memory_order_seq_cst);
    for (uint32_t u; (u = unfinished.load(std::memory_order_seq_cst)) != 0;) {
      FutexWait(&unfinished, u);
    }
    caller_sleeping.store(false, std::memory_order_relaxed);
  }
};

ThreadPool::ThreadPool(int n_threads, std::chrono::microseconds spin)
    : n_threads_(n_threads > 0 ? n_threads : PhysicalCoreCount()),
      state_(std::make_unique<State>()) {
  state_->spin = spin;
  threads_.reserve(n_threads_ - 1);
  for (int w = 1; w < n_threads_; ++w) {
    threads_.emplace_back([state = state_.get(), w] {
#if defined(__linux__)
      const std::string name = "shimmy-w" + std::to_string(w);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
#endif
      state->WorkerLoop(w);
    });
  }
}

ThreadPool::~ThreadPool() {
  state_->stop.store(true, std::memory_order_release);
  state_->generation.fetch_add(1, std::memory_order_seq_cst);
  FutexWakeAll(&state_->generation);
  for (std::thread& t : threads_) t.join();
}

void ThreadPool::Run(int64_t n, const ParallelForOptions& options, Kernel kernel) noexcept {
  if (n <= 0) return;
  State& s = *state_;

  // How many ranges the job is cut into; kept below 2^31 so that `remaining`
  // and `unfinished` cannot overflow.
  constexpr int64_t kMaxPieces = int64_t{1} << 31;
  int64_t chunk = 1;
  int64_t n_pieces = 0;
  if (options.schedule == ParallelSchedule::kStatic) {
    const int64_t min_range = std::max<int64_t>(1, options.chunk);
    n_pieces = std::min<int64_t>(n_threads_, (n - 1) / min_range + 1);
  } else {
    chunk = options.chunk > 0 ? options.chunk : std::max<int64_t>(1, n / (int64_t{8} * n_threads_));
    chunk = std::max(chunk, (n - 1) / kMaxPieces + 1);
    n_pieces = (n - 1) / chunk + 1;
  }

  // A job of this pool calling back into it: the other workers may be busy
  // with the outer job, so run inline on this worker.
  if (tls_pool == &s) {
    RunInline(n, options.schedule, chunk, tls_worker, kernel);
    return;
  }

  std::lock_guard<std::mutex> lock(s.dispatch_mutex);
  const void* outer_pool = tls_pool;
  const int outer_worker = tls_worker;
  tls_pool = &s;
  tls_worker = 0;

  if (n_pieces <= 1 || n_threads_ == 1) {
    RunInline(n, options.schedule, chunk, 0, kernel);  // not worth waking anyone
  } else {
    s.kernel = &kernel;
    s.n = n;
    s.chunk = chunk;
    s.n_pieces = n_pieces;
    s.schedule = options.schedule;
    s.unfinished.store(static_cast<uint32_t>(n_pieces), std::memory_order_relaxed);
    s.remaining.store(n_pieces, std::memory_order_release);  // publishes the fields
    s.generation.fetch_add(1, std::memory_order_seq_cst);
    if (s.n_sleeping.load(std::memory_order_seq_cst) > 0) FutexWakeAll(&s.generation);

    s.Work(0);
    s.AwaitPieces();
  }

  tls_pool = outer_pool;
  tls_worker = outer_worker;
}

}  // namespace shimmy
