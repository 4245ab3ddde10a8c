// Continuous batching for one Instance: up to `n_parallel` generations run
// at once as sequences of the shared KV cache, decoded together in one
// forward pass per step. New jobs join between steps; finished or cancelled
// ones leave and free their slot. Long prompts are prefilled in chunks of at
// most `batch_tokens` per step, so they never stall the other streams for
// more than one chunk.
//
//   Scheduler sched(inst, {.n_parallel = 4});
//   auto id = sched.Submit(std::move(request), {
//       .on_piece = [](const GeneratedPiece& p) { send(p.text); },   // engine thread
//       .on_done = [](Result<GenerateResult> r) { finish(r); }});     // engine thread, once
//   if (!id) ...id.error() (queue full: SubmitError::kQueueFull; bad request)
//   sched.Cancel(*id);                                                // any thread
//
// Results do not depend on batching: a job's tokens at temperature 0 equal
// Generate() on the same request (the forward pass is batch-invariant).
//
// Prefix reuse: a slot keeps its sequence's cache after its job ends. A new
// job goes to the free slot whose cached tokens share the longest prefix
// with its prompt, and only the rest of the prompt is computed
// (GenerateResult::n_cached says how many were reused). Multi-turn chat is
// the main case.
//
// Threads: one engine thread per Scheduler drives the Instance (which is not
// thread-safe; nobody else may use it while the Scheduler lives). It sleeps
// on a condition variable when there is no work (no polling). Callbacks run
// on it and must be quick and non-blocking (ResponseStream::Write is).
// Submit, Cancel and Stats are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "engine/generator.h"
#include "engine/instance.h"

namespace shimmy {

struct SchedulerOptions {
  int n_parallel = 1;      // sequences decoded together (clamped to the Instance's n_seq - 1;
                           // the last sequence id is RunTask's scratch)
  int max_queued = 64;     // jobs waiting for a slot; more are refused (kQueueFull)
  int batch_tokens = 512;  // tokens per forward step: decode tokens + prefill chunk
  // Once a step holds this many prompt tokens it starts no further job's
  // prompt. Prompts then finish oldest first, a few per step, instead of
  // all together in one long step: when 8 requests arrive at once the first
  // answers start after ~1/4 of the time, decoders get a token between the
  // groups, and the total prefill work is the same (prefill costs per token,
  // not per step, above a few tokens). 0: no limit.
  int prefill_group_tokens = 64;
  // How long the engine stays idle before it frees the forward pass's
  // scratch (4-7 MB, see Forward::kMaxChunk). Keeping it through short
  // gaps spares back-to-back requests the page faults of growing it again;
  // freeing it later keeps an idle server small. The wait is one timed
  // sleep, not polling.
  std::chrono::milliseconds release_scratch_after{2000};
};

// One safe piece of streamed output: whole UTF-8 characters, never part of
// a stop string. `tokens` are the ids sampled since the previous piece (the
// ones this text completes; a piece may be empty text with tokens, e.g. a
// half character held back). `logprobs` is parallel to `tokens` when the
// request asked for them (SamplingParams::n_top_logprobs > 0 or
// GenerateRequest::logprobs), else empty. Views valid during the call only.
struct GeneratedPiece {
  std::string_view text;
  std::span<const TokenId> tokens;
  std::span<const SampleLogprobs> logprobs;
};

struct JobCallbacks {
  std::function<void(const GeneratedPiece&)> on_piece;  // may be empty
  // Exactly once, after the last piece: the result (finish_reason "stop",
  // "length" or "cancelled"), or the error that ended the job.
  std::function<void(Result<GenerateResult>)> on_done;
};

struct SchedulerStats {
  int n_slots = 0;
  int active = 0;  // jobs in a slot (prefilling or decoding)
  int queued = 0;  // jobs waiting for a slot
  uint64_t jobs_done = 0;
  uint64_t jobs_cancelled = 0;
  uint64_t prompt_tokens = 0;  // prompt tokens computed (reused ones excluded)
  uint64_t cached_tokens = 0;  // prompt tokens reused from a slot's cache
  uint64_t generated_tokens = 0;
  uint64_t steps = 0;  // forward passes
};

enum class SubmitError { kNone, kQueueFull, kInvalid };

class Scheduler {
 public:
  using JobId = uint64_t;

  Scheduler(Instance& inst, SchedulerOptions options);
  // Cancels every job (their on_done runs with "cancelled") and joins.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job. Checked here, before queuing: a non-empty prompt that
  // fits the context with max_tokens, valid sampling params (kInvalid,
  // message says what); room in the queue (kQueueFull). On error the
  // callbacks are never called. `why` (optional) receives the kind.
  Result<JobId> Submit(GenerateRequest request, JobCallbacks callbacks, SubmitError* why = nullptr);
  // Stops a job within one step; its on_done gets finish_reason
  // "cancelled" with what was generated so far. Unknown/finished ids are
  // ignored. Any thread.
  void Cancel(JobId id);

  // Runs `task` on the engine thread between steps, with a sequence id no
  // job uses (cleared before the task runs). For embeddings. Tasks run in
  // order, before queued jobs are admitted.
  void RunTask(std::function<void(Instance&, SeqId scratch_seq)> task);

  SchedulerStats Stats() const;
  int n_slots() const { return n_slots_; }
  const Instance& instance() const { return inst_; }

 private:
  struct Job;
  struct Slot;
  void Loop();
  bool Admit(std::unique_lock<std::mutex>& lock);  // queued jobs into free slots
  Status Step();                                   // one forward pass over all slots
  void Finish(Slot& slot, Result<GenerateResult> result);

  Instance& inst_;
  const SchedulerOptions options_;
  const int n_slots_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;                   // guarded by mu_
  std::vector<JobId> cancel_requests_;                       // guarded by mu_
  std::deque<std::function<void(Instance&, SeqId)>> tasks_;  // guarded by mu_
  bool stopping_ = false;                                    // guarded by mu_
  JobId next_id_ = 1;                                        // guarded by mu_
  SchedulerStats stats_;                                     // guarded by mu_

  std::vector<std::unique_ptr<Slot>> slots_;  // engine thread only
  std::vector<float> logits_;                 // engine thread only
  uint64_t finish_counter_ = 0;               // engine thread only
  std::thread thread_;
};

}  // namespace shimmy
