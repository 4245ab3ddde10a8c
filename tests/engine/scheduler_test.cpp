// The Scheduler against Generate(): batched, chunk-prefilled and
// prefix-reusing jobs must give exactly the tokens a lone Generate gives at
// temperature 0, and cancellation, queue limits and shutdown must end every
// job through on_done exactly once.
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/fixtures.h"
#include "engine/embedder.h"

namespace shimmy {
namespace {

std::unique_ptr<Instance> Load(const std::string& file, int n_seq, int n_ctx = 512) {
  auto inst = Instance::Create({.path = (testing::FixturesDir() / "models" / file).string(),
                                .n_ctx = n_ctx,
                                .n_threads = 2,
                                .n_seq = n_seq});
  EXPECT_TRUE(inst.ok()) << inst.error().message();
  return std::move(inst).value();
}

GenerateRequest Greedy(const Instance& inst, const std::string& text, int max_tokens) {
  GenerateRequest req;
  req.prompt = inst.tokenizer().Encode(text);
  req.max_tokens = max_tokens;
  req.sampling.temperature = 0;
  return req;
}

// Collects one job's pieces and result; Wait() blocks until on_done.
struct Collected {
  std::string streamed;
  size_t streamed_tokens = 0;
  std::promise<Result<GenerateResult>> done;
  std::future<Result<GenerateResult>> future = done.get_future();
  int done_calls = 0;

  JobCallbacks Callbacks() {
    return {.on_piece =
                [this](const GeneratedPiece& p) {
                  streamed += p.text;
                  streamed_tokens += p.tokens.size();
                },
            .on_done =
                [this](Result<GenerateResult> r) {
                  ++done_calls;
                  done.set_value(std::move(r));
                }};
  }
  GenerateResult Wait() {
    auto r = future.get();
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? std::move(r).value() : GenerateResult{};
  }
};

const std::vector<std::string> kPrompts = {
    "Once upon a time",  "The little dog",     "Lily and Ben went to the park and",
    "One day, a big",    "Tom had a red ball", "The sun was",
    "She said hello to", "There was a tree"};

void ExpectBatchedEqualsAlone(const std::string& file, int n_parallel, int batch_tokens) {
  auto alone = Load(file, 1);
  std::vector<GenerateResult> expected;
  for (const auto& p : kPrompts) {
    auto r = Generate(*alone, Greedy(*alone, p, 24));
    ASSERT_TRUE(r.ok()) << r.error().message();
    expected.push_back(std::move(r).value());
  }

  auto inst = Load(file, n_parallel + 1);
  Scheduler sched(*inst, {.n_parallel = n_parallel, .batch_tokens = batch_tokens});
  std::vector<std::unique_ptr<Collected>> jobs;
  for (const auto& p : kPrompts) {
    jobs.push_back(std::make_unique<Collected>());
    auto id = sched.Submit(Greedy(*inst, p, 24), jobs.back()->Callbacks());
    ASSERT_TRUE(id.ok()) << id.error().message();
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    GenerateResult got = jobs[i]->Wait();
    EXPECT_EQ(got.tokens, expected[i].tokens) << file << " prompt " << i;
    EXPECT_EQ(got.text, expected[i].text) << file << " prompt " << i;
    EXPECT_EQ(got.finish_reason, expected[i].finish_reason);
    EXPECT_EQ(jobs[i]->streamed, got.text);  // streamed pieces add up to the text
    EXPECT_EQ(jobs[i]->done_calls, 1);
  }
  const SchedulerStats st = sched.Stats();
  EXPECT_EQ(st.jobs_done, kPrompts.size());
  EXPECT_EQ(st.active, 0);
  EXPECT_EQ(st.queued, 0);
  // Batching happened: fewer forward passes than a one-at-a-time run needs.
  uint64_t tokens = 0;
  for (const auto& e : expected) tokens += e.tokens.size();
  EXPECT_LT(st.steps, tokens);
}

TEST(Scheduler, BatchedGreedyEqualsGenerateStories) {
  SHIMMY_REQUIRE_FIXTURES();
  ExpectBatchedEqualsAlone("stories260K.gguf", 4, 512);
}

TEST(Scheduler, ChunkedPrefillEqualsGenerate) {
  SHIMMY_REQUIRE_FIXTURES();
  // 5 tokens per step: prompts are split over several steps, mixed with decodes.
  ExpectBatchedEqualsAlone("stories260K.gguf", 3, 5);
}

TEST(Scheduler, BatchedGreedyEqualsGenerateOtherArchitectures) {
  SHIMMY_REQUIRE_FIXTURES();
  for (const char* file : {"tiny-random-qwen2-Q4_K_M.gguf", "tiny-random-qwen3moe-F32.gguf",
                           "tiny-random-llama-Q8_0.gguf"}) {
    ExpectBatchedEqualsAlone(file, 4, 512);
  }
}

TEST(Scheduler, PrefixReuseSkipsTheSharedPromptAndKeepsTheOutput) {
  SHIMMY_REQUIRE_FIXTURES();
  auto alone = Load("stories260K.gguf", 1);
  auto inst = Load("stories260K.gguf", 3);
  Scheduler sched(*inst, {.n_parallel = 2});

  Collected first;
  GenerateRequest turn1 = Greedy(*inst, "Once upon a time, there was a little girl", 16);
  ASSERT_TRUE(sched.Submit(turn1, first.Callbacks()).ok());
  GenerateResult r1 = first.Wait();
  EXPECT_EQ(r1.n_cached, 0);

  // Turn 2 = turn 1's prompt + its answer + more: the cached part is reused.
  GenerateRequest turn2 = turn1;
  turn2.prompt.insert(turn2.prompt.end(), r1.tokens.begin(), r1.tokens.end());
  const auto more = inst->tokenizer().Encode(" and then", {.add_special = false});
  turn2.prompt.insert(turn2.prompt.end(), more.begin(), more.end());
  Collected second;
  ASSERT_TRUE(sched.Submit(turn2, second.Callbacks()).ok());
  GenerateResult r2 = second.Wait();
  // Everything but the last sampled token of turn 1 was in the cache.
  EXPECT_EQ(r2.n_cached, static_cast<int>(turn1.prompt.size() + r1.tokens.size() - 1));
  auto expected = Generate(*alone, turn2);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(r2.tokens, expected->tokens);
  EXPECT_EQ(sched.Stats().cached_tokens, static_cast<uint64_t>(r2.n_cached));
}

TEST(Scheduler, CancelStopsWithinAStepAndFreesTheSlot) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("stories260K.gguf", 2);
  Scheduler sched(*inst, {.n_parallel = 1});
  Collected job;
  std::promise<Scheduler::JobId> id_promise;
  auto id_future = id_promise.get_future().share();
  int pieces = 0;
  JobCallbacks cb = job.Callbacks();
  auto base_piece = cb.on_piece;
  cb.on_piece = [&, base_piece](const GeneratedPiece& p) {
    base_piece(p);
    if (++pieces == 2) sched.Cancel(id_future.get());
  };
  GenerateRequest req = Greedy(*inst, "Once upon a time", 400);
  auto id = sched.Submit(req, cb);
  ASSERT_TRUE(id.ok());
  id_promise.set_value(*id);
  GenerateResult r = job.Wait();
  EXPECT_EQ(r.finish_reason, "cancelled");
  EXPECT_LT(r.tokens.size(), 10u);  // cancelled within a step of asking
  const auto st = sched.Stats();
  EXPECT_EQ(st.jobs_cancelled, 1u);
  EXPECT_EQ(st.active, 0);
  // The slot serves the next job.
  Collected next;
  ASSERT_TRUE(sched.Submit(Greedy(*inst, "The dog", 4), next.Callbacks()).ok());
  EXPECT_EQ(next.Wait().tokens.size(), 4u);
}

TEST(Scheduler, QueueLimitRefusesAndInvalidRequestsFailAtSubmit) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("stories260K.gguf", 2, 64);
  Scheduler sched(*inst, {.n_parallel = 1, .max_queued = 1});
  // Job A holds the only slot: its first piece blocks the engine thread
  // until the test has filled the queue.
  std::promise<void> release, started;
  auto release_future = release.get_future().share();
  bool first_piece = true;
  Collected a, b;
  JobCallbacks cb_a = a.Callbacks();
  auto base = cb_a.on_piece;
  cb_a.on_piece = [&, base](const GeneratedPiece& p) {
    base(p);
    if (first_piece) {
      first_piece = false;
      started.set_value();
      release_future.wait();
    }
  };
  ASSERT_TRUE(sched.Submit(Greedy(*inst, "Once upon a time", 8), cb_a).ok());
  started.get_future().wait();
  ASSERT_TRUE(sched.Submit(Greedy(*inst, "The cat", 4), b.Callbacks()).ok());  // queued
  SubmitError why;
  Collected c;
  auto refused = sched.Submit(Greedy(*inst, "A bird", 4), c.Callbacks(), &why);
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(why, SubmitError::kQueueFull);
  EXPECT_EQ(c.done_calls, 0);

  auto too_long = sched.Submit(Greedy(*inst, "Once upon a time", 200), c.Callbacks(), &why);
  EXPECT_FALSE(too_long.ok());
  EXPECT_EQ(why, SubmitError::kInvalid);
  EXPECT_NE(too_long.error().message().find("context"), std::string::npos)
      << too_long.error().message();
  release.set_value();
  EXPECT_EQ(a.Wait().tokens.size(), 8u);
  EXPECT_EQ(b.Wait().tokens.size(), 4u);
}

TEST(Scheduler, ShutdownEndsEveryJobOnce) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("stories260K.gguf", 2);
  std::vector<std::unique_ptr<Collected>> jobs;
  {
    Scheduler sched(*inst, {.n_parallel = 1});
    for (int i = 0; i < 4; ++i) {
      jobs.push_back(std::make_unique<Collected>());
      ASSERT_TRUE(
          sched.Submit(Greedy(*inst, "Once upon a time", 300), jobs.back()->Callbacks()).ok());
    }
  }  // destroyed with one job running and three queued
  for (auto& j : jobs) {
    EXPECT_EQ(j->done_calls, 1);
    auto r = j->future.get();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->finish_reason == "cancelled" || r->finish_reason == "length");
  }
}

TEST(Scheduler, TasksRunOnTheEngineThreadWithAScratchSequence) {
  SHIMMY_REQUIRE_FIXTURES();
  auto alone = Load("stories260K.gguf", 1);
  const auto tokens = alone->tokenizer().Encode("The little dog");
  auto expected = Embed(*alone, tokens);
  ASSERT_TRUE(expected.ok());

  auto inst = Load("stories260K.gguf", 3);
  Scheduler sched(*inst, {.n_parallel = 2});
  Collected gen;  // a generation running alongside
  ASSERT_TRUE(sched.Submit(Greedy(*inst, "Once upon a time", 32), gen.Callbacks()).ok());
  std::promise<std::vector<float>> got;
  sched.RunTask([&](Instance& i, SeqId seq) {
    EXPECT_EQ(seq, 2);
    auto v = Embed(i, tokens, {.pooling = std::nullopt, .seq = seq});
    got.set_value(v.ok() ? std::move(v).value() : std::vector<float>{});
  });
  EXPECT_EQ(got.get_future().get(), *expected);
  auto alone_gen = Generate(*alone, Greedy(*alone, "Once upon a time", 32));
  ASSERT_TRUE(alone_gen.ok());
  EXPECT_EQ(gen.Wait().tokens, alone_gen->tokens);
}

TEST(Scheduler, PromptsArrivingTogetherStartAnsweringOldestFirst) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Load("stories260K.gguf", 5);
  Scheduler sched(*inst, {.n_parallel = 4, .prefill_group_tokens = 8});
  // Hold the engine in a task so all four jobs are admitted in one step.
  std::promise<void> entered, release;
  std::shared_future<void> gate = release.get_future().share();
  sched.RunTask([&](Instance&, SeqId) {
    entered.set_value();
    gate.wait();
  });
  entered.get_future().wait();
  // Callbacks run on the engine thread, one at a time: plain counters do.
  std::vector<size_t> tokens(4, 0);
  std::vector<size_t> first_job_tokens_at_start(4, 0);
  std::vector<std::unique_ptr<Collected>> jobs;
  for (size_t j = 0; j < 4; ++j) {
    jobs.push_back(std::make_unique<Collected>());
    JobCallbacks cb = jobs.back()->Callbacks();
    cb.on_piece = [&, j, inner = cb.on_piece](const GeneratedPiece& p) {
      if (tokens[j] == 0) first_job_tokens_at_start[j] = tokens[0];
      tokens[j] += p.tokens.size();
      inner(p);
    };
    // Each prompt fills a group by itself.
    GenerateRequest req = Greedy(*inst, kPrompts[j] + " and then they all went home again", 6);
    EXPECT_GE(req.prompt.size(), 8u);
    EXPECT_TRUE(sched.Submit(req, cb).ok());
  }
  release.set_value();  // before any assertion can return: the engine waits on it
  for (auto& job : jobs) job->Wait();
  // One prompt per step: the oldest job had already decoded a token of its
  // own when the next one produced its first (all four prefilled in one
  // step would give each its first token in the same step).
  EXPECT_GE(first_job_tokens_at_start[1], 2u);
  EXPECT_GE(first_job_tokens_at_start[2], 3u);
  EXPECT_GE(first_job_tokens_at_start[3], 4u);
}

// The forward pass's scratch, read on the engine thread between steps.
size_t ScratchBytesNow(Scheduler& sched) {
  std::promise<size_t> bytes;
  sched.RunTask([&](Instance& i, SeqId) { bytes.set_value(i.forward().ScratchBytes()); });
  return bytes.get_future().get();
}

// A scheduler over stories260K that has run one short job to its end.
struct AfterOneJob {
  explicit AfterOneJob(std::chrono::milliseconds release_scratch_after)
      : inst(Load("stories260K.gguf", 2)),
        sched(*inst, {.release_scratch_after = release_scratch_after}) {
    Collected job;
    const bool submitted = sched.Submit(Greedy(*inst, "Once upon a time", 8), job.Callbacks()).ok();
    EXPECT_TRUE(submitted);
    if (submitted) job.Wait();
  }
  std::unique_ptr<Instance> inst;
  Scheduler sched;
};

TEST(Scheduler, ScratchIsFreedAsTheEngineGoesIdleWithoutAGracePeriod) {
  SHIMMY_REQUIRE_FIXTURES();
  AfterOneJob run(std::chrono::milliseconds(0));
  EXPECT_EQ(ScratchBytesNow(run.sched), 0u);
}

TEST(Scheduler, ScratchIsKeptThroughShortIdleGaps) {
  SHIMMY_REQUIRE_FIXTURES();
  // An hour: the scratch must still be there for the next request (and
  // shutting down must not wait for the timer).
  AfterOneJob run(std::chrono::hours(1));
  EXPECT_GT(ScratchBytesNow(run.sched), 0u);
}

TEST(Scheduler, ScratchIsFreedAfterTheGracePeriod) {
  SHIMMY_REQUIRE_FIXTURES();
  AfterOneJob run(std::chrono::milliseconds(20));
  // Each probe is a task, which restarts the grace period, so the probes
  // are spaced wider than it; the engine frees the scratch in one of the
  // gaps, and never again grows it (a probe computes nothing).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  size_t bytes = ScratchBytesNow(run.sched);
  while (bytes != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bytes = ScratchBytesNow(run.sched);
  }
  EXPECT_EQ(bytes, 0u);
}

}  // namespace
}  // namespace shimmy
