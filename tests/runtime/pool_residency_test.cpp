// ModelPool residency: keep_alive (0, short, forever, the last request's
// wins), LRU eviction by count and by bytes (never a leased model),
// explicit Unload, what Resident() reports, and no CPU while idle.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <thread>

#include "pool_test_util.h"

namespace shimmy::runtime::testing {
namespace {

TEST(PoolResidency, KeepAliveZeroUnloadsWhenTheLastLeaseGoes) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto a = AcquireNow(pool, "tiny", {.keep_alive = 0ms});
  auto b = AcquireNow(pool, "tiny", {.keep_alive = 0ms});
  ASSERT_TRUE(a.ok() && b.ok());
  ModelLease copy = *a;  // copies of one lease count once
  a = Error("dropped");
  copy = {};
  ASSERT_EQ(pool.Resident().size(), 1u) << "b still holds it";
  EXPECT_EQ(pool.Resident()[0].leases, 1);
  b = Error("dropped");
  ASSERT_TRUE(events.WaitFor("unloaded", "tiny:latest"));
  EXPECT_TRUE(pool.Resident().empty());
  EXPECT_EQ(pool.LoadState("tiny").value(), "not loaded");
  EXPECT_EQ(pool.stats().unloads, 1u);
}

TEST(PoolResidency, WaitForLeasesReturnsOnceTheLastLeaseGoes) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  EXPECT_TRUE(pool.WaitForLeases(std::chrono::steady_clock::now()));  // nothing loaded
  auto lease = AcquireNow(pool, "tiny", {.keep_alive = -1ms});
  ASSERT_TRUE(lease.ok()) << lease.error().message();
  EXPECT_FALSE(pool.WaitForLeases(std::chrono::steady_clock::now() + 20ms));
  // Released on another thread while this one waits.
  std::thread releaser([&lease] { lease = Error("dropped"); });
  EXPECT_TRUE(pool.WaitForLeases(std::chrono::steady_clock::now() + kWait));
  releaser.join();
  ASSERT_EQ(pool.Resident().size(), 1u) << "forever: still resident, just not leased";
  EXPECT_EQ(pool.Resident()[0].leases, 0);
}

TEST(PoolResidency, ShortKeepAliveUnloadsAfterItExpires) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto lease = AcquireNow(pool, "tiny", {.keep_alive = 100ms});
  ASSERT_TRUE(lease.ok()) << lease.error().message();
  const auto released = std::chrono::steady_clock::now();
  const auto released_wall = Clock::now();
  lease = Error("dropped");
  const auto resident = pool.Resident();
  ASSERT_EQ(resident.size(), 1u);
  EXPECT_EQ(resident[0].leases, 0);
  EXPECT_FALSE(resident[0].forever);
  EXPECT_GE(resident[0].expires_at, released_wall + 100ms);
  EXPECT_LE(resident[0].expires_at, released_wall + 2s);  // a loose bound for a slow machine

  ASSERT_TRUE(events.WaitFor("unloaded", "tiny:latest"));
  EXPECT_GE(std::chrono::steady_clock::now() - released, 100ms) << "not before it expired";
  EXPECT_TRUE(pool.Resident().empty());
}

TEST(PoolResidency, NegativeKeepAliveStaysWhileOthersExpire) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  ASSERT_TRUE(AcquireNow(pool, "stories", {.keep_alive = -1ms}).ok());
  // The reaper now has work: a model that expires at once. When it has
  // unloaded that one it has looked at "stories" too.
  ASSERT_TRUE(AcquireNow(pool, "tiny", {.keep_alive = 1ms}).ok());
  ASSERT_TRUE(events.WaitFor("unloaded", "tiny:latest"));
  const auto resident = pool.Resident();
  ASSERT_EQ(resident.size(), 1u);
  EXPECT_EQ(resident[0].name, "stories:latest");
  EXPECT_TRUE(resident[0].forever);
  EXPECT_EQ(events.Count("unloaded", "stories:latest"), 0);
}

TEST(PoolResidency, TheLastAcquiresKeepAliveWins) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto forever = AcquireNow(pool, "tiny", {.keep_alive = -1ms});
  auto now = AcquireNow(pool, "tiny", {.keep_alive = 0ms});
  ASSERT_TRUE(forever.ok() && now.ok());
  forever = Error("dropped");
  now = Error("dropped");
  EXPECT_TRUE(events.WaitFor("unloaded", "tiny:latest"));

  // And the other way round: the default (5 minutes) replaced by forever.
  ASSERT_TRUE(AcquireNow(pool, "tiny").ok());
  ASSERT_TRUE(AcquireNow(pool, "tiny", {.keep_alive = -5s}).ok());
  ASSERT_EQ(pool.Resident().size(), 1u);
  EXPECT_TRUE(pool.Resident()[0].forever);
}

TEST(PoolResidency, MaxLoadedEvictsTheIdleModel) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  options.max_loaded = 1;
  ModelPool pool(TestRegistry(), events.Attach(options));
  ASSERT_TRUE(AcquireNow(pool, "tiny").ok());  // lease dropped at once
  auto b = AcquireNow(pool, "tiny2");
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_TRUE(events.WaitFor("evicted", "tiny:latest"));
  const auto resident = pool.Resident();
  ASSERT_EQ(resident.size(), 1u);
  EXPECT_EQ(resident[0].name, "tiny2:latest");
  EXPECT_EQ(pool.stats().evictions, 1u);
  EXPECT_EQ(pool.stats().unloads, 1u);
}

TEST(PoolResidency, ALeasedModelIsNeverEvicted) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  options.max_loaded = 1;
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto a = AcquireNow(pool, "tiny");
  ASSERT_TRUE(a.ok());
  auto b = AcquireNow(pool, "tiny2");
  ASSERT_TRUE(b.ok()) << "loads anyway, over the limit";
  EXPECT_EQ(pool.Resident().size(), 2u);
  EXPECT_EQ(pool.stats().evictions, 0u);
  EXPECT_EQ(events.Count("evicted", "tiny:latest"), 0);
  bool logged = false;
  for (const std::string& line : events.Logs()) {
    logged |=
        line.find("tiny2:latest") != std::string::npos && line.find("in use") != std::string::npos;
  }
  EXPECT_TRUE(logged) << "the overflow is logged";
  EXPECT_EQ(a->model->entry().name, "tiny:latest") << "still usable";
}

TEST(PoolResidency, EvictionTakesTheLeastRecentlyUsedFirst) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  options.max_loaded = 2;
  ModelPool pool(TestRegistry(), events.Attach(options));
  ASSERT_TRUE(AcquireNow(pool, "tiny").ok());
  ASSERT_TRUE(AcquireNow(pool, "tiny2").ok());
  ASSERT_TRUE(AcquireNow(pool, "tiny").ok());  // tiny2 is now the older
  ASSERT_TRUE(AcquireNow(pool, "stories").ok());
  EXPECT_TRUE(events.WaitFor("evicted", "tiny2:latest"));
  EXPECT_EQ(events.Count("evicted", "tiny:latest"), 0);
  EXPECT_NE(FindResident(pool.Resident(), "tiny:latest"), nullptr);
  EXPECT_NE(FindResident(pool.Resident(), "stories:latest"), nullptr);
}

TEST(PoolResidency, MemoryBudgetEvictsToMakeRoom) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  options.max_loaded = 0;
  options.memory_budget_bytes = 1;  // nothing fits beside anything
  ModelPool pool(TestRegistry(), events.Attach(options));
  ASSERT_TRUE(AcquireNow(pool, "tiny").ok());
  ASSERT_TRUE(AcquireNow(pool, "tiny2").ok());
  EXPECT_TRUE(events.WaitFor("evicted", "tiny:latest"));
  ASSERT_EQ(pool.Resident().size(), 1u);

  PoolOptions roomy = SmallOptions();
  roomy.max_loaded = 0;
  roomy.memory_budget_bytes = uint64_t{1} << 40;
  ModelPool big(TestRegistry(), roomy);
  ASSERT_TRUE(AcquireNow(big, "tiny").ok());
  ASSERT_TRUE(AcquireNow(big, "tiny2").ok());
  EXPECT_EQ(big.Resident().size(), 2u);
  EXPECT_EQ(big.stats().evictions, 0u);
}

TEST(PoolResidency, UnloadAnIdleModelNow) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  ASSERT_TRUE(AcquireNow(pool, "tiny").ok());
  ASSERT_TRUE(pool.Unload("tiny").ok());
  EXPECT_TRUE(pool.Resident().empty()) << "forgotten at once";
  EXPECT_TRUE(events.WaitFor("unloaded", "tiny:latest"));
  EXPECT_FALSE(pool.Unload("tiny").ok()) << "not loaded any more";
  EXPECT_FALSE(IsUnknownModel(pool.Unload("tiny").error()));
  EXPECT_EQ(pool.stats().unloads, 1u);
}

TEST(PoolResidency, UnloadALeasedModelWaitsForTheLease) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto lease = AcquireNow(pool, "tiny");
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(pool.Unload("tiny").ok());
  EXPECT_EQ(pool.Resident().size(), 1u) << "in use: stays";
  lease = Error("dropped");
  EXPECT_TRUE(events.WaitFor("unloaded", "tiny:latest"));
  EXPECT_TRUE(pool.Resident().empty());
}

// The pool's cache types reach every model it loads, its size estimate
// counts their bytes, and a model the type cannot hold fails its load with
// the reason (other models keep loading).
TEST(PoolResidency, CacheTypesReachTheModelAndItsEstimate) {
  SHIMMY_REQUIRE_FIXTURES();
  PoolOptions exact = SmallOptions();
  PoolOptions small = SmallOptions();
  small.cache_type_k = DType::kQ8_0;
  small.cache_type_v = DType::kQ8_0;
  ModelPool f32_pool(TestRegistry(), exact);
  ModelPool q8_pool(TestRegistry(), small);
  auto f32 = AcquireNow(f32_pool, "tiny");
  auto q8 = AcquireNow(q8_pool, "tiny");
  ASSERT_TRUE(f32.ok() && q8.ok());
  EXPECT_EQ(q8->model->instance().kv().k_type(), DType::kQ8_0);
  EXPECT_EQ(q8->model->instance().kv().v_type(), DType::kQ8_0);
  EXPECT_EQ(f32->model->instance().kv().k_type(), DType::kF32);
  // Per 64-value head: 2 Q8_0 blocks of 34 bytes against 256 bytes of F32.
  const uint64_t file = std::filesystem::file_size(Fixture("tiny-random-llama-Q8_0.gguf"));
  ASSERT_GT(f32->model->estimated_bytes(), file);
  EXPECT_EQ((q8->model->estimated_bytes() - file) * 256,
            (f32->model->estimated_bytes() - file) * 68);

  auto narrow = AcquireNow(q8_pool, "stories");  // 8-value heads
  ASSERT_FALSE(narrow.ok());
  EXPECT_NE(narrow.error().message().find("not a multiple of 32"), std::string::npos)
      << narrow.error().message();
  EXPECT_TRUE(AcquireNow(q8_pool, "tiny2").ok());
}

TEST(PoolResidency, ResidentDescribesAnIdleModel) {
  SHIMMY_REQUIRE_FIXTURES();
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), options);
  auto lease = AcquireNow(pool, "stories", {.keep_alive = 5min});
  ASSERT_TRUE(lease.ok());
  auto resident = pool.Resident();
  ASSERT_EQ(resident.size(), 1u);
  EXPECT_EQ(resident[0].leases, 1);
  const uint64_t file_bytes = std::filesystem::file_size(Fixture("stories260K.gguf"));
  EXPECT_GT(resident[0].size_bytes, file_bytes) << "weights plus the KV cache";
  EXPECT_EQ(resident[0].size_bytes, lease->model->estimated_bytes());
  EXPECT_EQ(resident[0].path, Fixture("stories260K.gguf").string());
  ASSERT_EQ(pool.Loaded().size(), 1u);
  EXPECT_EQ(pool.Loaded()[0].get(), lease->model.get());

  lease = Error("dropped");
  const auto now = Clock::now();
  resident = pool.Resident();
  ASSERT_EQ(resident.size(), 1u);
  EXPECT_EQ(resident[0].leases, 0);
  EXPECT_FALSE(resident[0].forever);
  EXPECT_GT(resident[0].expires_at, now + 4min);
  EXPECT_LE(resident[0].expires_at, now + 5min);
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

TEST(PoolResidency, AnIdlePoolUsesNoCpu) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  ASSERT_TRUE(AcquireNow(pool, "tiny", {.keep_alive = 10min}).ok());
  ASSERT_TRUE(AcquireNow(pool, "stories", {.keep_alive = 10min}).ok());
  // A measurement window, not synchronisation: the reaper has a deadline
  // to sleep until, the loader nothing to do.
  const double before = ProcessCpuSeconds();
  std::this_thread::sleep_for(300ms);
  const double used = ProcessCpuSeconds() - before;
  std::printf("[ idle     ] CPU used over 300 ms idle: %.3f ms\n", used * 1e3);
  EXPECT_LT(used, 0.010);
}

}  // namespace
}  // namespace shimmy::runtime::testing
