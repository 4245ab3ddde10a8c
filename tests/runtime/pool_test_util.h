// Helpers for the ModelPool tests: a registry of hand-made entries over the
// fixture models (plus a truncated copy and entries of kinds that must not
// load), a recorder of the pool's events that tests wait on, and a blocking
// Acquire. Waits use condition variables and futures with generous
// timeouts, never sleeps.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/fixtures.h"
#include "runtime/model_pool.h"

namespace shimmy::runtime::testing {

using namespace std::chrono_literals;
using shimmy::testing::FixturesDir;

inline constexpr auto kWait = 60s;  // loads take milliseconds; this is only a hang guard

inline discovery::ModelEntry Entry(std::string name, const std::filesystem::path& path,
                                   discovery::ModelKind kind = discovery::ModelKind::kLlm) {
  discovery::ModelEntry e;
  e.name = std::move(name);
  e.path = path.string();
  e.shard_paths = {e.path};
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  e.size_bytes = ec ? 0 : size;
  e.facts.kind = kind;
  return e;
}

inline std::filesystem::path Fixture(const std::string& file) {
  return FixturesDir() / "models" / file;
}

// The first 4 KiB of stories260K: a GGUF header whose tensors are missing.
inline std::filesystem::path TruncatedModel() {
  const auto dir = shimmy::testing::TempDir("pool");
  const auto path = dir / "broken.gguf";
  const std::string bytes = shimmy::testing::ReadFile(Fixture("stories260K.gguf"));
  std::ofstream(path, std::ios::binary).write(bytes.data(), 4096);
  return path;
}

// stories (a real tiny llama), tiny and tiny2 (random llamas), embed (an
// entry said to be an embedding model), broken (truncated file), and
// entries of kinds that never load.
inline std::shared_ptr<const discovery::Registry> TestRegistry() {
  using discovery::ModelKind;
  std::vector<discovery::ModelEntry> models;
  models.push_back(Entry("stories:latest", Fixture("stories260K.gguf")));
  models.push_back(Entry("tiny:latest", Fixture("tiny-random-llama-Q8_0.gguf")));
  models.push_back(Entry("tiny2:latest", Fixture("tiny-random-qwen2-Q4_K_M.gguf")));
  models.push_back(
      Entry("embed:latest", Fixture("tiny-random-qwen3-F32.gguf"), ModelKind::kEmbedding));
  models.push_back(Entry("broken:latest", TruncatedModel()));
  auto projector = Entry("vision-proj:latest", Fixture("stories260K.gguf"), ModelKind::kMmproj);
  projector.base = "stories:latest";
  models.push_back(projector);
  models.push_back(Entry("adapter:latest", Fixture("stories260K.gguf"), ModelKind::kLora));
  auto junk = Entry("junk:latest", Fixture("stories260K.gguf"), ModelKind::kNotAModel);
  junk.facts.problem = "vocabulary only";
  models.push_back(junk);
  return std::make_shared<const discovery::Registry>(std::move(models));
}

// Options small enough for the fixtures and a shared 2-core machine.
inline PoolOptions SmallOptions() {
  PoolOptions o;
  o.n_ctx = 128;
  o.n_threads = 1;
  o.n_parallel = 2;
  return o;
}

// Records on_event calls; tests wait for the one they expect.
class EventLog {
 public:
  struct Event {
    std::string event;
    std::string model;
  };

  // Installs the recorder (and a silent log sink) into `options`.
  PoolOptions& Attach(PoolOptions& options) {
    options.on_event = [this](std::string_view event, const std::string& model, double) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back({std::string(event), model});
      changed_.notify_all();
    };
    options.on_log = [this](std::string_view message) {
      std::lock_guard<std::mutex> lock(mu_);
      logs_.emplace_back(message);
    };
    return options;
  }

  // Waits until `event` has happened to `model` `count` times in all.
  bool WaitFor(std::string_view event, std::string_view model, int count = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kWait, [&] { return CountLocked(event, model) >= count; });
  }

  int Count(std::string_view event, std::string_view model) const {
    std::lock_guard<std::mutex> lock(mu_);
    return CountLocked(event, model);
  }

  std::vector<std::string> Logs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }

 private:
  int CountLocked(std::string_view event, std::string_view model) const {
    int n = 0;
    for (const Event& e : events_) n += e.event == event && e.model == model;
    return n;
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Event> events_;
  std::vector<std::string> logs_;
};

// Acquire, waiting for the callback (which must come exactly once).
inline Result<ModelLease> AcquireNow(ModelPool& pool, const std::string& name,
                                     AcquireOptions options = {}) {
  auto promise = std::make_shared<std::promise<Result<ModelLease>>>();
  auto future = promise->get_future();
  pool.Acquire(name, options,
               [promise](Result<ModelLease> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kWait) != std::future_status::ready) {
    return Error("Acquire('" + name + "') did not answer");
  }
  return future.get();
}

inline const ResidentInfo* FindResident(const std::vector<ResidentInfo>& resident,
                                        std::string_view name) {
  for (const ResidentInfo& r : resident) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace shimmy::runtime::testing
