// The resident pool: which models are loaded, for how long, and which one
// goes when room is needed. One loaded model = one Instance + its
// Scheduler + its ChatFormat; a request for a loaded model never reloads
// it, and a model loads once even when many requests for it arrive at once.
//
//   ModelPool pool(registry, {.max_loaded = 3, .n_parallel = 4});
//   pool.Acquire("tiny:latest", {.keep_alive = 5min}, [](Result<ModelLease> r) {
//     if (!r) ...;                       // unknown name (404) or load failure
//     r->model->scheduler().Submit(...); // the lease keeps it loaded
//   });                                  // lease dropped -> keep_alive timer starts
//
// Residency rules (Ollama's): a model stays while any lease is held; when
// the last lease goes, it stays `keep_alive` more (default 5 minutes,
// SHIMMY_KEEP_ALIVE; negative = forever; 0 = unload now). Before loading a
// model that would exceed `max_loaded` or `memory_budget_bytes` (estimated
// as file size + a KV cache holding one full context), unleased models are
// evicted least recently used first; if only leased models remain, the new
// one loads anyway (over budget, logged) rather than failing a request.
//
// Threads: Acquire never blocks. When the model is resident the callback
// runs at once on the caller's thread; otherwise a loader thread loads it
// and runs the callbacks of everyone who asked meanwhile. A reaper thread
// sleeps until the next keep_alive expiry (condition variable, no polling).
// Everything is thread-safe; no callback (Acquire's, on_event, on_log) runs
// while the pool's lock is held, so callbacks may call back into the pool.
//
// Where models die: destroying a LoadedModel joins its Scheduler's engine
// thread, so it must never happen on that thread (a lease dropped inside a
// Scheduler callback would otherwise deadlock). The pool's own references
// are dropped on its loader/reaper threads, and every LoadedModel's
// shared_ptr has a deleter that, when the last reference goes elsewhere,
// hands the model to the reaper to destroy. After the pool is gone a model
// that outlived it is destroyed on a short-lived thread of its own.
// Unload and keep_alive expiry therefore complete asynchronously: the
// pool forgets the model at once, and "unloaded" reports the destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "chat/chat_format.h"
#include "discovery/registry.h"
#include "engine/instance.h"
#include "engine/scheduler.h"

namespace shimmy::runtime {

using Clock = std::chrono::system_clock;  // expires_at is shown to users (/api/ps)

struct PoolOptions {
  int max_loaded = 3;                // resident models at most (0: no limit)
  uint64_t memory_budget_bytes = 0;  // 0: no budget
  std::chrono::milliseconds default_keep_alive = std::chrono::minutes(5);
  int n_parallel = 4;   // Scheduler slots per model
  int max_queued = 64;  // Scheduler queue per model
  int n_ctx = 0;        // 0: each model's training context
  int n_threads = 0;    // 0: physical cores
  DType cache_type_k = DType::kF32;  // KV cache element types (InstanceOptions)
  DType cache_type_v = DType::kF32;
  // Called after "loaded" (ms: load time), "unloaded" (keep_alive expiry or
  // Unload; ms: time to destroy), "evicted" (to make room; ms: likewise),
  // "load_failed" (ms: time spent trying). On the pool's threads (loader,
  // reaper, or the destructor's), never under the pool's lock. Optional.
  std::function<void(std::string_view event, const std::string& model, double ms)> on_event;
  // Things an operator should know (a model loaded over budget, a chat
  // template that failed to parse). Empty: written to stderr.
  std::function<void(std::string_view message)> on_log;
};

namespace detail {
struct PoolCore;  // model_pool internals (pool_core.h)
}  // namespace detail

// A loaded model. Immutable apart from its Scheduler (thread-safe itself).
class LoadedModel {
 public:
  const discovery::ModelEntry& entry() const { return entry_; }
  Instance& instance() { return *instance_; }
  const Instance& instance() const { return *instance_; }
  Scheduler& scheduler() { return *scheduler_; }
  // Null for a model without a tokenizer/template (then no chat routes).
  const chat::ChatFormat* chat_format() const { return format_ ? &*format_ : nullptr; }
  // Why chat_format() is null ("" when it is not).
  const std::string& chat_format_error() const { return chat_format_error_; }
  double load_ms() const { return instance_->load_ms(); }
  Clock::time_point loaded_at() const { return loaded_at_; }
  uint64_t estimated_bytes() const { return estimated_bytes_; }

 private:
  friend class ModelPool;
  friend struct detail::PoolCore;
  LoadedModel() = default;
  discovery::ModelEntry entry_;
  std::unique_ptr<Instance> instance_;
  std::optional<chat::ChatFormat> format_;
  std::string chat_format_error_;
  std::unique_ptr<Scheduler> scheduler_;  // declared last: destroyed first
  Clock::time_point loaded_at_;
  uint64_t estimated_bytes_ = 0;
};

// Holding one keeps the model resident. Copyable; releasing the last copy
// of all leases on a model starts its keep_alive countdown. Keep the lease
// until the Scheduler's on_done has run: a model whose leases are all gone
// may unload, cancelling what it still runs. Dropping a lease is cheap and
// safe on any thread, a Scheduler callback included.
struct ModelLease {
  std::shared_ptr<LoadedModel> model;
  std::shared_ptr<void> hold;  // released -> the pool notes the end of use
  // This Acquire waited for the model to load (load_duration counts): true
  // for every request that joined the load, not only the first.
  bool just_loaded = false;
};

struct AcquireOptions {
  // nullopt: the pool default; negative: forever; zero: unload when released.
  std::optional<std::chrono::milliseconds> keep_alive;
};

struct ResidentInfo {  // for /api/ps and /metrics
  std::string name;
  uint64_t size_bytes = 0;  // estimated resident bytes
  int leases = 0;
  bool forever = false;
  Clock::time_point expires_at;  // meaningful when leases == 0 and !forever
  std::string path;
};

struct PoolStats {
  uint64_t loads = 0;  // successful loads since start
  uint64_t load_failures = 0;
  uint64_t unloads = 0;    // keep_alive expiry, explicit unload, eviction
  uint64_t evictions = 0;  // unloads to make room
};

class ModelPool {
 public:
  ModelPool(std::shared_ptr<const discovery::Registry> registry, PoolOptions options);
  // Pending Acquire callbacks get an error (a load under way finishes
  // first, then is thrown away); resident models unload. Leases and models
  // still held elsewhere stay valid until dropped. Do not destroy the pool
  // on a Scheduler callback thread of one of its models.
  ~ModelPool();
  ModelPool(const ModelPool&) = delete;
  ModelPool& operator=(const ModelPool&) = delete;

  using AcquireCallback = std::function<void(Result<ModelLease>)>;
  // Resolves `name` through the registry (never a path) and calls `done`
  // exactly once. Errors: unknown name (message lists known models:
  // IsUnknownModel() is true), not an LLM, load failure.
  void Acquire(const std::string& name, const AcquireOptions& options, AcquireCallback done);
  // Unloads `name` now if no lease holds it, else as soon as the last is
  // released (keep_alive 0, which a later Acquire's keep_alive replaces).
  // A model still loading unloads once the requests that wait for it are
  // done. The pool forgets it at once; "unloaded" follows when destroyed.
  // Error: not resident / unknown.
  Status Unload(const std::string& name);

  std::vector<ResidentInfo> Resident() const;
  // Waits until no resident model is leased (every request has run its
  // last callback) or `deadline` passes; true when none is. For shutdown:
  // after the HTTP server has stopped, the engines' last callbacks still
  // touch its sessions, so they must finish before the server goes.
  bool WaitForLeases(std::chrono::steady_clock::time_point deadline) const;
  // "loaded", "loading" or "not loaded"; error when the name is unknown.
  Result<std::string> LoadState(const std::string& name) const;
  PoolStats stats() const;
  // Resident models with their schedulers (for /metrics); leases not held.
  std::vector<std::shared_ptr<LoadedModel>> Loaded() const;
  const discovery::Registry& registry() const { return *registry_; }

 private:
  std::shared_ptr<const discovery::Registry> registry_;
  // Loader and reaper threads, the resident map and LRU order live in
  // model_pool.cpp.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `error` came from Acquire for a name the registry lacks (404).
bool IsUnknownModel(const Error& error);

}  // namespace shimmy::runtime
