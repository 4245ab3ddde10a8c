// ModelPool's public face (model_pool.h): name resolution and its errors,
// Acquire/Unload, and the read-only views. The threads and the bookkeeping
// they share are in pool_core.cpp; loading in pool_load.cpp.
#include "runtime/model_pool.h"

#include <algorithm>

#include "discovery/naming.h"
#include "runtime/keep_alive.h"
#include "runtime/pool_core.h"

namespace shimmy::runtime {
namespace {

using detail::PoolCore;
using detail::Slot;

constexpr std::string_view kUnknownPrefix = "unknown model '";
constexpr size_t kListedNames = 20;
// Longer keep_alives count as forever (and keep deadlines far from
// overflowing the clock).
constexpr auto kLongestKeepAlive = std::chrono::hours(24 * 365 * 100);

Error ShuttingDown() { return Error("the model pool is shutting down"); }

Error UnknownModel(const discovery::Registry& registry, std::string_view name) {
  std::string message = std::string(kUnknownPrefix) + std::string(name) + "'";
  const auto& models = registry.models();
  if (models.empty()) {
    return Error(message + "; no models were found (`shimmy discover` shows where it looked)");
  }
  message += "; known models: ";
  const size_t n_listed = std::min(models.size(), kListedNames);
  for (size_t i = 0; i < n_listed; ++i) message += (i ? ", " : "") + models[i].name;
  if (models.size() > n_listed) {
    message += ", and " + std::to_string(models.size() - n_listed) + " more (`shimmy list`)";
  }
  return Error(message);
}

// Whether any name or alias starts with `name`: when Resolve fails and one
// does, the name was an ambiguous prefix, not an unknown model.
bool SomeNameStartsWith(const discovery::Registry& registry, std::string_view name) {
  const std::string lower = discovery::ToLower(name);
  for (const discovery::ModelEntry& model : registry.models()) {
    if (discovery::ToLower(model.name).starts_with(lower)) return true;
    for (const std::string& alias : model.aliases) {
      if (discovery::ToLower(alias).starts_with(lower)) return true;
    }
  }
  return false;
}

Result<const discovery::ModelEntry*> ResolveName(const discovery::Registry& registry,
                                                 const std::string& name) {
  auto entry = registry.Resolve(name);
  if (entry || name.empty() || SomeNameStartsWith(registry, name)) return entry;
  return UnknownModel(registry, name);
}

Status CheckLoadable(const discovery::ModelEntry& entry) {
  const std::string quoted = "'" + entry.name + "'";
  const std::string serves = entry.base.empty() ? "" : " (it belongs to '" + entry.base + "')";
  switch (entry.facts.kind) {
    case discovery::ModelKind::kLlm:
    case discovery::ModelKind::kEmbedding:
      return {};
    case discovery::ModelKind::kMmproj:
      return Error(quoted + " is a vision projector (mmproj), not a model that runs on its own" +
                   serves);
    case discovery::ModelKind::kLora:
      return Error(quoted + " is a LoRA adapter, not a model that runs on its own" + serves);
    case discovery::ModelKind::kNotAModel:
      break;
  }
  return Error(quoted + " is not a usable model" +
               (entry.facts.problem.empty() ? "" : ": " + entry.facts.problem));
}

std::chrono::milliseconds Normalize(std::chrono::milliseconds keep_alive) {
  if (IsForever(keep_alive) || keep_alive > kLongestKeepAlive) return kKeepAliveForever;
  return keep_alive;
}

}  // namespace

struct ModelPool::Impl {
  std::shared_ptr<PoolCore> core;
  std::thread loader;
  std::thread reaper;
};

ModelPool::ModelPool(std::shared_ptr<const discovery::Registry> registry, PoolOptions options)
    : registry_(registry ? std::move(registry) : std::make_shared<const discovery::Registry>()),
      impl_(std::make_unique<Impl>()) {
  impl_->core = std::make_shared<PoolCore>(registry_, std::move(options));
  PoolCore* core = impl_->core.get();
  impl_->loader = std::thread([core] { core->LoaderLoop(); });
  impl_->reaper = std::thread([core] { core->ReaperLoop(); });
}

ModelPool::~ModelPool() {
  // Callbacks run below may drop the last reference to some model: this
  // thread is no engine thread, so it may destroy it.
  detail::DestroyHereGuard destroy_here;
  PoolCore& core = *impl_->core;
  std::vector<AcquireCallback> cancelled;
  {
    std::lock_guard<std::mutex> lock(core.mu);
    core.stopping = true;
    for (const std::string& name : core.load_queue) {
      auto it = core.slots.find(name);
      if (it == core.slots.end()) continue;
      for (auto& done : it->second.waiters) cancelled.push_back(std::move(done));
      core.slots.erase(it);
    }
    core.load_queue.clear();
  }
  core.loader_wake.notify_all();
  for (auto& done : cancelled) done(ShuttingDown());
  cancelled.clear();
  impl_->loader.join();  // a load under way finishes; its waiters get the same error

  {
    std::lock_guard<std::mutex> lock(core.mu);
    for (auto& [name, slot] : core.slots) {
      core.departing.push_back({name, std::move(slot.model), "unloaded"});
      ++core.stats.unloads;
    }
    core.slots.clear();
    core.closed = true;
  }
  core.reaper_wake.notify_all();
  impl_->reaper.join();  // destroys every departing model, then leaves
}

void ModelPool::Acquire(const std::string& name, const AcquireOptions& options,
                        AcquireCallback done) {
  auto entry = ResolveName(*registry_, name);
  if (!entry) return done(entry.error());
  if (Status loadable = CheckLoadable(**entry); !loadable) return done(loadable.error());
  PoolCore& core = *impl_->core;
  const auto keep_alive = Normalize(options.keep_alive.value_or(core.options.default_keep_alive));

  std::unique_lock<std::mutex> lock(core.mu);
  if (core.stopping) {
    lock.unlock();
    return done(ShuttingDown());
  }
  const std::string& key = (*entry)->name;
  auto [it, inserted] = core.slots.try_emplace(key);
  Slot& slot = it->second;
  slot.keep_alive = keep_alive;  // the last request's keep_alive wins
  if (inserted) {
    slot.entry = *entry;
    slot.waiters.push_back(std::move(done));
    core.load_queue.push_back(key);
    lock.unlock();
    core.loader_wake.notify_one();
    return;
  }
  if (slot.loading) {
    slot.waiters.push_back(std::move(done));  // one load answers everyone
    return;
  }
  ModelLease lease = core.MakeLease(key, slot, /*just_loaded=*/false);
  lock.unlock();
  done(std::move(lease));
}

Status ModelPool::Unload(const std::string& name) {
  auto entry = ResolveName(*registry_, name);
  if (!entry) return entry.error();
  PoolCore& core = *impl_->core;
  {
    std::lock_guard<std::mutex> lock(core.mu);
    if (core.stopping) return ShuttingDown();
    auto it = core.slots.find((*entry)->name);
    if (it == core.slots.end()) return Error("'" + (*entry)->name + "' is not loaded");
    Slot& slot = it->second;
    slot.keep_alive = std::chrono::milliseconds(0);
    if (slot.loading || slot.leases > 0) return {};  // the last release unloads it
    // Forgotten now; destroyed on the reaper (this may be any thread).
    core.departing.push_back({it->first, std::move(slot.model), "unloaded"});
    ++core.stats.unloads;
    core.slots.erase(it);
  }
  core.reaper_wake.notify_one();
  return {};
}

bool ModelPool::WaitForLeases(std::chrono::steady_clock::time_point deadline) const {
  PoolCore& core = *impl_->core;
  std::unique_lock<std::mutex> lock(core.mu);
  return core.leases_released.wait_until(lock, deadline, [&core] {
    for (const auto& [name, slot] : core.slots) {
      if (!slot.loading && slot.leases > 0) return false;
    }
    return true;
  });
}

std::vector<ResidentInfo> ModelPool::Resident() const {
  const PoolCore& core = *impl_->core;
  std::vector<ResidentInfo> out;
  std::lock_guard<std::mutex> lock(core.mu);
  for (const auto& [name, slot] : core.slots) {
    if (slot.loading) continue;
    ResidentInfo info{.name = name,
                      .size_bytes = slot.model->estimated_bytes(),
                      .leases = slot.leases,
                      .forever = IsForever(slot.keep_alive),
                      .expires_at = slot.expires_at,
                      .path = slot.entry->path};
    // In use: at least keep_alive from now (Ollama shows the same).
    if (slot.leases > 0 && !info.forever) {
      info.expires_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(slot.keep_alive);
    }
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::string> ModelPool::LoadState(const std::string& name) const {
  auto entry = ResolveName(*registry_, name);
  if (!entry) return entry.error();
  const PoolCore& core = *impl_->core;
  std::lock_guard<std::mutex> lock(core.mu);
  auto it = core.slots.find((*entry)->name);
  if (it == core.slots.end()) return std::string("not loaded");
  return std::string(it->second.loading ? "loading" : "loaded");
}

PoolStats ModelPool::stats() const {
  const PoolCore& core = *impl_->core;
  std::lock_guard<std::mutex> lock(core.mu);
  return core.stats;
}

std::vector<std::shared_ptr<LoadedModel>> ModelPool::Loaded() const {
  const PoolCore& core = *impl_->core;
  std::vector<std::shared_ptr<LoadedModel>> out;
  std::lock_guard<std::mutex> lock(core.mu);
  for (const auto& [name, slot] : core.slots) {
    if (!slot.loading) out.push_back(slot.model);
  }
  return out;
}

bool IsUnknownModel(const Error& error) { return error.message().starts_with(kUnknownPrefix); }

}  // namespace shimmy::runtime
