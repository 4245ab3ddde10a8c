// ModelPool: loading once, errors (unknown names, kinds that never load,
// broken files), the Scheduler reached through a lease, and shutdown with
// loads in flight. Residency (keep_alive, eviction, Unload) is in
// pool_residency_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <latch>
#include <nlohmann/json.hpp>
#include <thread>

#include "pool_test_util.h"

namespace shimmy::runtime::testing {
namespace {

TEST(ModelPool, ConcurrentAcquiresOfOneModelLoadItOnce) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));

  constexpr int kCallers = 8;
  std::vector<std::promise<Result<ModelLease>>> promises(kCallers);
  std::latch start(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      start.arrive_and_wait();  // all ask at once
      pool.Acquire("stories", {}, [&promises, i](Result<ModelLease> r) {
        promises[static_cast<size_t>(i)].set_value(std::move(r));
      });
    });
  }
  for (auto& t : callers) t.join();

  std::vector<ModelLease> leases;
  for (auto& p : promises) {
    auto future = p.get_future();
    ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
    auto r = future.get();
    ASSERT_TRUE(r.ok()) << r.error().message();
    leases.push_back(std::move(r).value());
  }
  for (const ModelLease& lease : leases) {
    ASSERT_NE(lease.model, nullptr);
    EXPECT_EQ(lease.model.get(), leases[0].model.get());
    EXPECT_TRUE(lease.hold);
  }
  EXPECT_EQ(pool.stats().loads, 1u);
  EXPECT_EQ(events.Count("loaded", "stories:latest"), 1);
  const auto resident = pool.Resident();
  ASSERT_EQ(resident.size(), 1u);
  EXPECT_EQ(resident[0].leases, kCallers);
  EXPECT_EQ(leases[0].model->entry().name, "stories:latest");
}

TEST(ModelPool, AcquireAfterReleaseReusesTheLoadedModel) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  auto first = AcquireNow(pool, "tiny");
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_TRUE(first->just_loaded);
  LoadedModel* model = first->model.get();
  first = Error("dropped");  // releases the lease

  auto second = AcquireNow(pool, "tiny:latest");
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->model.get(), model);
  EXPECT_FALSE(second->just_loaded);
  EXPECT_EQ(pool.stats().loads, 1u);
  EXPECT_EQ(pool.LoadState("tiny").value(), "loaded");
}

TEST(ModelPool, UnknownNameIsNotFoundAndListsTheKnownModels) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  auto r = AcquireNow(pool, "llama-9000");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsUnknownModel(r.error()));
  const std::string& message = r.error().message();
  EXPECT_NE(message.find("llama-9000"), std::string::npos) << message;
  EXPECT_NE(message.find("stories:latest"), std::string::npos) << message;
  EXPECT_NE(message.find("tiny2:latest"), std::string::npos) << message;
  EXPECT_TRUE(IsUnknownModel(pool.LoadState("llama-9000").error()));
  EXPECT_TRUE(IsUnknownModel(pool.Unload("llama-9000").error()));
  EXPECT_EQ(pool.stats().load_failures, 0u);
}

TEST(ModelPool, UnknownNameListsAtMostTwentyNames) {
  std::vector<discovery::ModelEntry> models;
  for (int i = 0; i < 30; ++i) {
    discovery::ModelEntry e;
    e.name = "model" + std::to_string(100 + i) + ":latest";
    e.facts.kind = discovery::ModelKind::kLlm;
    models.push_back(e);
  }
  ModelPool pool(std::make_shared<const discovery::Registry>(models), SmallOptions());
  auto r = AcquireNow(pool, "other");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsUnknownModel(r.error()));
  EXPECT_NE(r.error().message().find("model119:latest"), std::string::npos);
  EXPECT_EQ(r.error().message().find("model120:latest"), std::string::npos);
  EXPECT_NE(r.error().message().find("10 more"), std::string::npos) << r.error().message();
}

TEST(ModelPool, AmbiguousPrefixIsAnErrorButNotUnknown) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  auto r = AcquireNow(pool, "tin");  // tiny:latest and tiny2:latest
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(IsUnknownModel(r.error())) << r.error().message();
  EXPECT_NE(r.error().message().find("tiny2:latest"), std::string::npos) << r.error().message();
  EXPECT_TRUE(AcquireNow(pool, "stor").ok()) << "a unique prefix resolves";
}

TEST(ModelPool, ProjectorsAdaptersAndNonModelsNeverLoad) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  for (const char* name : {"vision-proj", "adapter", "junk"}) {
    auto r = AcquireNow(pool, name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_FALSE(IsUnknownModel(r.error()));
    EXPECT_NE(r.error().message().find(std::string(name) + ":latest"), std::string::npos);
  }
  EXPECT_NE(AcquireNow(pool, "vision-proj").error().message().find("projector"), std::string::npos);
  EXPECT_NE(AcquireNow(pool, "adapter").error().message().find("LoRA"), std::string::npos);
  EXPECT_NE(AcquireNow(pool, "junk").error().message().find("vocabulary only"), std::string::npos);
  const PoolStats stats = pool.stats();
  EXPECT_EQ(stats.loads + stats.load_failures, 0u) << "nothing was even tried";
}

TEST(ModelPool, EmbeddingModelsLoad) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  auto r = AcquireNow(pool, "embed");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->model->entry().facts.kind, discovery::ModelKind::kEmbedding);
}

TEST(ModelPool, BrokenFileFailsEveryTimeAndIsNotCached) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto first = AcquireNow(pool, "broken");
  ASSERT_FALSE(first.ok());
  EXPECT_FALSE(IsUnknownModel(first.error()));
  EXPECT_NE(first.error().message().find("broken:latest"), std::string::npos)
      << first.error().message();
  EXPECT_EQ(pool.stats().load_failures, 1u);
  EXPECT_EQ(pool.LoadState("broken").value(), "not loaded");
  EXPECT_TRUE(pool.Resident().empty());

  auto second = AcquireNow(pool, "broken");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(pool.stats().load_failures, 2u) << "the second Acquire tried again";
  EXPECT_EQ(pool.stats().loads, 0u);
  EXPECT_TRUE(events.WaitFor("load_failed", "broken:latest", 2));
}

TEST(ModelPool, ConcurrentAcquiresOfABrokenModelShareOneError) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  // The first load's callback runs on the loader thread and holds it until
  // every "broken" request has been made, so they all join one load.
  std::promise<void> all_asked;
  std::shared_future<void> asked = all_asked.get_future().share();
  pool.Acquire("stories", {}, [asked](Result<ModelLease>) { asked.wait_for(kWait); });
  constexpr int kCallers = 4;
  std::vector<std::promise<std::string>> promises(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    pool.Acquire("broken", {}, [&promises, i](Result<ModelLease> r) {
      promises[static_cast<size_t>(i)].set_value(r.ok() ? "" : r.error().message());
    });
  }
  EXPECT_EQ(pool.LoadState("broken").value(), "loading");
  all_asked.set_value();
  std::vector<std::string> messages;
  for (auto& p : promises) {
    auto future = p.get_future();
    ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
    messages.push_back(future.get());
  }
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    EXPECT_EQ(m, messages[0]);
  }
  EXPECT_EQ(pool.stats().load_failures, 1u);
}

GenerateRequest StoriesRequest(std::vector<TokenId>* want) {
  const auto ref =
      nlohmann::json::parse(shimmy::testing::ReadFile(Fixture("stories260K.ref.json")));
  GenerateRequest request;
  request.prompt = ref["prompt_tokens"].get<std::vector<TokenId>>();
  request.max_tokens = 8;
  request.sampling.temperature = 0;
  request.stop_at_eog = false;
  const auto greedy = ref["greedy"].get<std::vector<TokenId>>();
  want->assign(greedy.begin(), greedy.begin() + 8);
  return request;
}

TEST(ModelPool, LeaseReachesTheSchedulerAndGeneratesTheReferenceTokens) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto lease = AcquireNow(pool, "stories", {.keep_alive = 0ms});
  ASSERT_TRUE(lease.ok()) << lease.error().message();
  LoadedModel& model = *lease->model;
  EXPECT_NE(model.chat_format(), nullptr) << model.chat_format_error();
  EXPECT_GT(model.load_ms(), 0.0);

  std::vector<TokenId> want;
  std::promise<Result<GenerateResult>> done;
  auto submitted = model.scheduler().Submit(
      StoriesRequest(&want), {.on_piece = nullptr, .on_done = [&done](Result<GenerateResult> r) {
                                done.set_value(std::move(r));
                              }});
  ASSERT_TRUE(submitted.ok()) << submitted.error().message();
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->tokens, want);

  lease = Error("dropped");  // keep_alive 0: unloads now
  EXPECT_TRUE(events.WaitFor("unloaded", "stories:latest"));
  EXPECT_TRUE(pool.Resident().empty());
}

TEST(ModelPool, AModelWhoseLastReferenceDiesOnItsEngineThreadIsDestroyedElsewhere) {
  SHIMMY_REQUIRE_FIXTURES();
  EventLog events;
  PoolOptions options = SmallOptions();
  ModelPool pool(TestRegistry(), events.Attach(options));
  auto lease = AcquireNow(pool, "stories", {.keep_alive = 0ms});
  ASSERT_TRUE(lease.ok()) << lease.error().message();
  Scheduler& scheduler = lease->model->scheduler();

  // Hold the engine thread so the job below cannot finish yet.
  std::promise<void> open_gate;
  std::shared_future<void> gate = open_gate.get_future().share();
  scheduler.RunTask([gate](Instance&, SeqId) { gate.wait_for(kWait); });
  std::vector<TokenId> want;
  std::promise<Result<GenerateResult>> done;
  std::shared_ptr<LoadedModel> model_ref = lease->model;
  auto submitted = scheduler.Submit(
      StoriesRequest(&want),
      {.on_piece = nullptr, .on_done = [&done, model_ref](Result<GenerateResult> r) mutable {
         // The pool has forgotten the model: this is its last reference,
         // dropped on its own engine thread. Destroying it here would join
         // this very thread (std::terminate); the pool must do it elsewhere.
         model_ref.reset();
         done.set_value(std::move(r));
       }});
  ASSERT_TRUE(submitted.ok()) << submitted.error().message();
  model_ref.reset();
  lease = Error("dropped");  // the last lease: the pool unloads (forgets) it
  ASSERT_TRUE(events.WaitFor("unloaded", "stories:latest"));
  EXPECT_TRUE(pool.Resident().empty());

  open_gate.set_value();
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->tokens, want) << "the job ran to its end on the unloaded model";
}

TEST(ModelPool, DestructorAnswersPendingAcquiresAndDoesNotHang) {
  SHIMMY_REQUIRE_FIXTURES();
  std::mutex mu;
  std::condition_variable changed;
  int answered = 0;
  std::vector<std::string> failed;
  const auto record = [&](const std::string& name, const Result<ModelLease>& r) {
    std::lock_guard<std::mutex> lock(mu);
    ++answered;
    if (!r.ok()) failed.push_back(name);
    changed.notify_all();
  };
  {
    ModelPool pool(TestRegistry(), SmallOptions());
    // Once loaded, the first model's callback holds the loader until the
    // destructor has cancelled the queued loads, so they are still queued
    // then. (If the destructor comes first, it cancels this one too.)
    pool.Acquire("stories", {}, [&](Result<ModelLease> r) {
      if (r.ok()) {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait_for(lock, kWait, [&] { return !failed.empty(); });
      }
      record("stories", r);
    });
    for (const char* name : {"tiny", "tiny2", "embed"}) {
      pool.Acquire(name, {}, [&, name](Result<ModelLease> r) { record(name, r); });
    }
  }  // destroyed with three loads queued and one under way or answering
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(answered, 4) << "every callback ran exactly once";
  for (const char* name : {"tiny", "tiny2", "embed"}) {
    EXPECT_NE(std::find(failed.begin(), failed.end(), name), failed.end())
        << name << " was queued: cancelled, not loaded";
  }
}

TEST(ModelPool, AcquireFromInsideACallbackDoesNotDeadlock) {
  SHIMMY_REQUIRE_FIXTURES();
  ModelPool pool(TestRegistry(), SmallOptions());
  std::promise<bool> inner_ok;
  pool.Acquire("tiny", {}, [&](Result<ModelLease> outer) {
    // Runs on the loader thread: the pool's lock must not be held.
    pool.Acquire("tiny", {}, [&, outer_ok = outer.ok()](Result<ModelLease> inner) {
      inner_ok.set_value(outer_ok && inner.ok() && !inner->just_loaded);
    });
  });
  auto future = inner_ok.get_future();
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(future.get());
}

}  // namespace
}  // namespace shimmy::runtime::testing
