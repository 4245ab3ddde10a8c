// ModelPool's bookkeeping and threads (pool_core.h): leases and their
// release, the loader thread (evict, load, answer the waiters) and the
// reaper thread (keep_alive expiry and every model's destruction).
#include "runtime/pool_core.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "runtime/keep_alive.h"

namespace shimmy::runtime::detail {
namespace {

thread_local bool t_may_destroy = false;

double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

std::string MiB(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

DestroyHereGuard::DestroyHereGuard() : previous_(t_may_destroy) { t_may_destroy = true; }
DestroyHereGuard::~DestroyHereGuard() { t_may_destroy = previous_; }
bool MayDestroyHere() { return t_may_destroy; }

LeaseToken::~LeaseToken() {
  if (auto core = core_.lock()) core->Release(name_, generation_);
}

PoolCore::PoolCore(std::shared_ptr<const discovery::Registry> registry_in, PoolOptions options_in)
    : registry(std::move(registry_in)), options(std::move(options_in)) {}

ModelLease PoolCore::MakeLease(const std::string& name, Slot& slot, bool just_loaded) {
  ++slot.leases;
  slot.last_used = ++tick;
  auto hold = std::make_shared<LeaseToken>(weak_from_this(), name, slot.generation);
  return ModelLease{.model = slot.model, .hold = std::move(hold), .just_loaded = just_loaded};
}

void PoolCore::Release(const std::string& name, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = slots.find(name);
  if (it == slots.end() || it->second.loading || it->second.generation != generation) return;
  Slot& slot = it->second;
  if (--slot.leases > 0) return;
  slot.last_used = ++tick;
  ArmExpiry(slot);
  leases_released.notify_all();
  // Even keep_alive 0 goes through the reaper: this may be an engine
  // thread, where the model must not be destroyed.
  reaper_wake.notify_one();
}

void PoolCore::ArmExpiry(Slot& slot) {
  if (IsForever(slot.keep_alive)) return;
  slot.deadline = SteadyClock::now() + slot.keep_alive;
  slot.expires_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(slot.keep_alive);
}

bool PoolCore::Bury(LoadedModel* model) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (closed) return false;
    graveyard.push_back(model);
  }
  reaper_wake.notify_one();
  return true;
}

void PoolCore::Emit(std::string_view event, const std::string& model, double ms) const {
  if (options.on_event) options.on_event(event, model, ms);
}

void PoolCore::Log(const std::string& message) const {
  if (options.on_log) {
    options.on_log(message);
  } else {
    std::fprintf(stderr, "shimmy: %s\n", message.c_str());
  }
}

std::vector<Departure> PoolCore::MakeRoom(uint64_t bytes, bool& over) {
  int n_resident = 0;
  uint64_t used = 0;
  std::vector<std::map<std::string, Slot>::iterator> idle;
  for (auto it = slots.begin(); it != slots.end(); ++it) {
    if (it->second.loading) continue;
    ++n_resident;
    used += it->second.model->estimated_bytes();
    if (it->second.leases == 0) idle.push_back(it);
  }
  const auto exceeds = [&] {
    return (options.max_loaded > 0 && n_resident + 1 > options.max_loaded) ||
           (options.memory_budget_bytes > 0 && used + bytes > options.memory_budget_bytes);
  };
  std::sort(idle.begin(), idle.end(),
            [](const auto& a, const auto& b) { return a->second.last_used < b->second.last_used; });
  std::vector<Departure> out;
  for (auto it : idle) {
    if (!exceeds()) break;
    --n_resident;
    used -= it->second.model->estimated_bytes();
    out.push_back({it->first, std::move(it->second.model), "evicted"});
    slots.erase(it);
    ++stats.evictions;
    ++stats.unloads;
  }
  over = exceeds();
  return out;
}

void PoolCore::Destroy(std::vector<Departure> departures) {
  for (Departure& d : departures) {
    const auto start = SteadyClock::now();
    d.model.reset();  // the last reference unless someone still holds one
    Emit(d.event, d.name, MsSince(start));
  }
}

void PoolCore::LoaderLoop() {
  DestroyHereGuard destroy_here;
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    loader_wake.wait(lock, [&] { return stopping || !load_queue.empty(); });
    if (stopping) return;
    const std::string name = std::move(load_queue.front());
    load_queue.pop_front();
    auto it = slots.find(name);
    if (it == slots.end() || !it->second.loading) continue;
    const discovery::ModelEntry& entry = *it->second.entry;  // the registry outlives us
    lock.unlock();

    // Reading the header again only matters with a byte budget.
    const uint64_t bytes = options.memory_budget_bytes > 0 ? EstimateBytesBeforeLoad(entry, options)
                                                           : entry.size_bytes;
    bool over = false;
    lock.lock();
    std::vector<Departure> evicted = MakeRoom(bytes, over);
    lock.unlock();
    Destroy(std::move(evicted));
    if (over) {
      Log("loading '" + name + "' (about " + MiB(bytes) + ") beyond the pool's limits (" +
          std::to_string(options.max_loaded) + " models, " +
          (options.memory_budget_bytes > 0 ? MiB(options.memory_budget_bytes) : "no byte budget") +
          "): every other resident model is in use");
    }
    const auto start = SteadyClock::now();
    Result<std::shared_ptr<LoadedModel>> loaded = LoadModel(entry);
    const double ms = MsSince(start);

    lock.lock();
    it = slots.find(name);  // only this thread finishes or erases a slot being loaded
    std::vector<ModelPool::AcquireCallback> waiters = std::move(it->second.waiters);
    if (!loaded || stopping) {
      slots.erase(it);
      const Error error = loaded ? Error("the model pool is shutting down") : loaded.error();
      if (!loaded) ++stats.load_failures;
      lock.unlock();
      if (loaded) loaded->reset();  // on this thread, not the model's own
      if (!loaded) Emit("load_failed", name, ms);
      for (auto& done : waiters) done(error);
      waiters.clear();
      lock.lock();
      continue;
    }
    Slot& slot = it->second;
    slot.loading = false;
    slot.model = std::move(loaded).value();
    slot.generation = next_generation++;
    ++stats.loads;
    std::vector<ModelLease> leases;
    leases.reserve(waiters.size());
    for (size_t i = 0; i < waiters.size(); ++i) {
      leases.push_back(MakeLease(name, slot, /*just_loaded=*/true));
    }
    lock.unlock();
    Emit("loaded", name, ms);
    for (size_t i = 0; i < waiters.size(); ++i) waiters[i](std::move(leases[i]));
    leases.clear();
    waiters.clear();  // captures die here, on a thread where models may be destroyed
    lock.lock();
  }
}

void PoolCore::ReaperLoop() {
  DestroyHereGuard destroy_here;
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    const auto now = SteadyClock::now();
    std::optional<SteadyClock::time_point> next;
    for (auto it = slots.begin(); it != slots.end();) {
      Slot& slot = it->second;
      if (slot.loading || slot.leases > 0 || IsForever(slot.keep_alive)) {
        ++it;
      } else if (slot.deadline <= now) {
        departing.push_back({it->first, std::move(slot.model), "unloaded"});
        ++stats.unloads;
        it = slots.erase(it);
      } else {
        next = next ? std::min(*next, slot.deadline) : slot.deadline;
        ++it;
      }
    }
    if (!departing.empty() || !graveyard.empty()) {
      std::vector<Departure> departures = std::move(departing);
      std::vector<LoadedModel*> dead = std::move(graveyard);
      departing.clear();
      graveyard.clear();
      lock.unlock();
      for (LoadedModel* model : dead) delete model;
      Destroy(std::move(departures));
      lock.lock();
      continue;  // time has passed: look again before sleeping
    }
    if (closed) return;
    // Woken by Release, Unload, Bury or the pool's destructor; otherwise
    // asleep until the earliest expiry (no polling).
    if (next) {
      reaper_wake.wait_until(lock, *next);
    } else {
      reaper_wake.wait(lock);
    }
  }
}

}  // namespace shimmy::runtime::detail
