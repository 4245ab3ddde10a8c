// ModelPool's shared state and its two threads' work (model_pool.h has the
// contract). Internal to src/runtime.
//
// Ownership: ModelPool owns the loader and reaper threads and one strong
// reference to the PoolCore; leases and models handed out hold weak ones,
// so a lease or model that outlives the pool finds the core gone and does
// nothing (or, for a model, destroys itself on a thread of its own).
// The core's destructor never blocks: the threads live in ModelPool.
//
// Locking: `mu` guards everything below it. It is held only for short
// bookkeeping; loading, destroying models and every callback happen with it
// released. Destruction of a LoadedModel happens only on a thread marked by
// DestroyHereGuard (loader, reaper, pool destructor), never on an engine
// thread: see ModelDeleter.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/model_pool.h"

namespace shimmy::runtime::detail {

using SteadyClock = std::chrono::steady_clock;

// One model the pool knows: loading (waiters pending) or resident.
struct Slot {
  const discovery::ModelEntry* entry = nullptr;  // into the registry (immutable)
  bool loading = true;
  std::vector<ModelPool::AcquireCallback> waiters;  // while loading
  std::shared_ptr<LoadedModel> model;               // once resident
  uint64_t generation = 0;  // tells this residency's leases from an earlier one's
  int leases = 0;
  std::chrono::milliseconds keep_alive{0};  // the last Acquire's (or Unload's)
  SteadyClock::time_point deadline;         // leases == 0 and keep_alive >= 0
  Clock::time_point expires_at;             // the same, as users see it
  uint64_t last_used = 0;                   // LRU tick: higher = more recent
};

// A model leaving the pool, destroyed by the reaper.
struct Departure {
  std::string name;
  std::shared_ptr<LoadedModel> model;
  const char* event;  // "unloaded" or "evicted"
};

// Marks the current thread as one where models may be destroyed inline
// (it is no model's engine thread) for the guard's lifetime.
class DestroyHereGuard {
 public:
  DestroyHereGuard();
  ~DestroyHereGuard();
  DestroyHereGuard(const DestroyHereGuard&) = delete;
  DestroyHereGuard& operator=(const DestroyHereGuard&) = delete;

 private:
  bool previous_;
};

// What a ModelLease's `hold` points to: its destruction (the last copy of
// one lease dropped, on any thread) tells the pool. It reports through a
// weak reference, so a lease that outlives the pool releases nothing; the
// generation keeps a stale lease from touching a later residency of the
// same model.
class LeaseToken {
 public:
  LeaseToken(std::weak_ptr<PoolCore> core, std::string name, uint64_t generation)
      : core_(std::move(core)), name_(std::move(name)), generation_(generation) {}
  ~LeaseToken();
  LeaseToken(const LeaseToken&) = delete;
  LeaseToken& operator=(const LeaseToken&) = delete;

 private:
  std::weak_ptr<PoolCore> core_;
  std::string name_;
  uint64_t generation_;
};

// True on a thread inside a DestroyHereGuard.
bool MayDestroyHere();

struct PoolCore : std::enable_shared_from_this<PoolCore> {
  PoolCore(std::shared_ptr<const discovery::Registry> registry, PoolOptions options);

  const std::shared_ptr<const discovery::Registry> registry;
  const PoolOptions options;

  mutable std::mutex mu;
  std::condition_variable loader_wake;
  std::condition_variable reaper_wake;
  std::condition_variable leases_released;  // a model's last lease went (WaitForLeases)
  std::map<std::string, Slot> slots;    // by registry name
  std::deque<std::string> load_queue;   // names of loading slots, not yet started
  std::vector<Departure> departing;     // forgotten by the pool, to destroy
  std::vector<LoadedModel*> graveyard;  // last reference dropped elsewhere
  bool stopping = false;                // no new Acquire; the loader exits
  bool closed = false;                  // the reaper is leaving: graveyard refuses
  uint64_t tick = 0;
  uint64_t next_generation = 1;
  PoolStats stats;

  // Counts a new lease on resident `slot` (named `name`). `mu` held.
  ModelLease MakeLease(const std::string& name, Slot& slot, bool just_loaded);
  // A lease's hold was dropped (any thread, never destroys anything).
  void Release(const std::string& name, uint64_t generation);
  // Starts the keep_alive countdown of an unleased slot. `mu` held.
  void ArmExpiry(Slot& slot);
  // Takes `model` to destroy on the reaper; false once the reaper is gone.
  bool Bury(LoadedModel* model);

  void LoaderLoop();
  void ReaperLoop();

  // Not under `mu`.
  void Emit(std::string_view event, const std::string& model, double ms) const;
  void Log(const std::string& message) const;

 private:
  // Loads `entry` into a LoadedModel (loader thread, `mu` not held).
  Result<std::shared_ptr<LoadedModel>> LoadModel(const discovery::ModelEntry& entry);
  // Removes unleased resident models, least recently used first, until a
  // model of `bytes` fits beside the rest. `mu` held. Returns what must
  // still be destroyed; `over` tells whether the limits are still exceeded.
  std::vector<Departure> MakeRoom(uint64_t bytes, bool& over);
  // Destroys departures (not under `mu`) and reports them.
  void Destroy(std::vector<Departure> departures);
};

// Estimated resident bytes of a model: its file plus a KV cache holding one
// full context of the pool's cache types (the cache is reserved, not
// committed, so n_parallel full contexts at once is the worst case, not the
// usual one).
uint64_t EstimateBytes(uint64_t file_bytes, const HParams& hparams, int n_ctx,
                       const PoolOptions& options);
// The same before loading, from the file's header; the file size alone
// when the header cannot be read (the load will then report why).
uint64_t EstimateBytesBeforeLoad(const discovery::ModelEntry& entry, const PoolOptions& options);

}  // namespace shimmy::runtime::detail
