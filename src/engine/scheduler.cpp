#include "engine/scheduler.h"

#include <algorithm>
#include <chrono>

#include "engine/sequence_run.h"

namespace shimmy {
namespace {

using SteadyClock = std::chrono::steady_clock;

double MsBetween(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

size_t CommonPrefix(const std::vector<TokenId>& a, const std::vector<TokenId>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

struct Scheduler::Job {
  JobId id = 0;
  GenerateRequest request;
  JobCallbacks callbacks;
  std::unique_ptr<SequenceRun> run;
  bool cancelled = false;
  SteadyClock::time_point admitted, prefilled;
};

struct Scheduler::Slot {
  SeqId seq = 0;
  std::unique_ptr<Job> job;     // null: free
  std::vector<TokenId> cached;  // tokens whose K/V the cache holds for `seq`, by position
  bool decoding = false;        // the prompt is in; sampling has started
  uint64_t last_used = 0;       // step of the last job end, for picking among free slots
};

Scheduler::Scheduler(Instance& inst, SchedulerOptions options)
    : inst_(inst),
      options_(options),
      n_slots_(std::clamp(options.n_parallel, 1, kMaxSequences - 1)) {
  for (int i = 0; i < n_slots_; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->seq = i;
    inst_.kv().RemoveSeq(i);
    slots_.push_back(std::move(slot));
  }
  stats_.n_slots = n_slots_;
  thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<Scheduler::JobId> Scheduler::Submit(GenerateRequest request, JobCallbacks callbacks,
                                           SubmitError* why) {
  if (why != nullptr) *why = SubmitError::kNone;
  auto job = std::make_unique<Job>();
  job->request = std::move(request);
  job->request.seq = 0;  // assigned with the slot
  auto run = SequenceRun::Create(inst_, job->request);
  if (!run) {
    if (why != nullptr) *why = SubmitError::kInvalid;
    return run.error();
  }
  job->run = std::move(run).value();
  job->callbacks = std::move(callbacks);
  JobId id;
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      if (why != nullptr) *why = SubmitError::kQueueFull;
      return Error("the model is shutting down");
    }
    if (static_cast<int>(queue_.size()) >= options_.max_queued) {
      if (why != nullptr) *why = SubmitError::kQueueFull;
      return Error("too many requests are waiting for this model (" +
                   std::to_string(queue_.size()) + " queued); try again shortly");
    }
    id = next_id_++;
    job->id = id;
    queue_.push_back(std::move(job));
    stats_.queued = static_cast<int>(queue_.size());
  }
  wake_.notify_one();
  return id;
}

void Scheduler::Cancel(JobId id) {
  {
    std::lock_guard lk(mu_);
    cancel_requests_.push_back(id);
  }
  wake_.notify_one();
}

void Scheduler::RunTask(std::function<void(Instance&, SeqId)> task) {
  {
    std::lock_guard lk(mu_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

SchedulerStats Scheduler::Stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

void Scheduler::Loop() {
  std::vector<std::unique_ptr<Job>> dropped;  // cancelled while queued
  const auto any_active = [this] {
    return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->job != nullptr; });
  };
  bool scratch_held = false;  // the engine ran since scratch was last freed
  for (;;) {
    std::deque<std::function<void(Instance&, SeqId)>> tasks;
    std::vector<JobId> cancels;
    bool stop = false;
    {
      std::unique_lock lk(mu_);
      // Sleeps until there is something to do; with jobs in slots it
      // does not wait at all (one step per iteration).
      const auto has_work = [&] {
        return stopping_ || !tasks_.empty() || !cancel_requests_.empty() || !queue_.empty() ||
               any_active();
      };
      if (scratch_held && !wake_.wait_for(lk, options_.release_scratch_after, has_work)) {
        // Idle for release_scratch_after: free the scratch, then sleep
        // until woken.
        lk.unlock();
        inst_.ReleaseScratch();
        scratch_held = false;
        continue;
      }
      wake_.wait(lk, has_work);
      stop = stopping_;
      tasks.swap(tasks_);
      cancels.swap(cancel_requests_);
      // Jobs cancelled before they got a slot leave the queue now.
      for (JobId id : cancels) {
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
          if ((*it)->id == id) {
            dropped.push_back(std::move(*it));
            queue_.erase(it);
            break;
          }
        }
      }
      if (stop) {
        for (auto& job : queue_) dropped.push_back(std::move(job));
        queue_.clear();
      }
      stats_.queued = static_cast<int>(queue_.size());
    }
    for (auto& job : dropped) {
      GenerateResult r = job->run->TakeResult();
      r.finish_reason = "cancelled";
      {
        std::lock_guard lk(mu_);
        ++stats_.jobs_cancelled;
      }
      if (job->callbacks.on_done) job->callbacks.on_done(std::move(r));
    }
    dropped.clear();

    for (auto& task : tasks) {
      inst_.kv().RemoveSeq(n_slots_);
      task(inst_, n_slots_);
      inst_.kv().RemoveSeq(n_slots_);
      scratch_held = true;
    }
    for (JobId id : cancels) {
      for (auto& slot : slots_) {
        if (slot->job && slot->job->id == id) slot->job->cancelled = true;
      }
    }
    for (auto& slot : slots_) {
      if (slot->job && (stop || slot->job->cancelled)) {
        GenerateResult r = slot->job->run->TakeResult();
        r.finish_reason = "cancelled";
        Finish(*slot, std::move(r));
      }
    }
    if (stop) break;
    {
      std::unique_lock lk(mu_);
      Admit(lk);
    }
    if (any_active()) {
      scratch_held = true;
      if (auto st = Step(); !st) {
        // The forward pass failed: every job in a slot ends with the error.
        for (auto& slot : slots_) {
          if (slot->job) Finish(*slot, st.error());
        }
      }
    }
    if (scratch_held && !any_active() && options_.release_scratch_after.count() <= 0) {
      inst_.ReleaseScratch();  // no grace period: freed as the engine goes idle
      scratch_held = false;
    }
  }
}

bool Scheduler::Admit(std::unique_lock<std::mutex>& lock) {
  bool admitted = false;
  while (!queue_.empty()) {
    std::unique_ptr<Job>& job = queue_.front();
    const std::vector<TokenId>& prompt = job->request.prompt;
    Slot* best = nullptr;
    size_t best_common = 0;
    for (auto& slot : slots_) {
      if (slot->job) continue;
      const size_t common = CommonPrefix(slot->cached, prompt);
      if (best == nullptr || common > best_common ||
          (common == best_common && slot->last_used < best->last_used)) {
        best = slot.get();
        best_common = common;
      }
    }
    if (best == nullptr) break;
    // At least the last prompt token is computed: its logits start sampling.
    best_common = std::min(best_common, prompt.size() - 1);
    inst_.kv().RemoveSeq(best->seq, static_cast<int32_t>(best_common));
    best->cached.resize(best_common);
    best->decoding = false;
    best->job = std::move(job);
    queue_.pop_front();
    best->job->request.seq = best->seq;
    best->job->run->result().n_cached = static_cast<int>(best_common);
    best->job->admitted = SteadyClock::now();
    stats_.cached_tokens += best_common;
    admitted = true;
  }
  stats_.queued = static_cast<int>(queue_.size());
  stats_.active = static_cast<int>(
      std::count_if(slots_.begin(), slots_.end(), [](const auto& s) { return s->job != nullptr; }));
  (void)lock;
  return admitted;
}

Status Scheduler::Step() {
  std::vector<BatchToken> batch;
  std::vector<Slot*> row_slot;  // the slot of each logits row, in batch order
  // Decode first: one token per generating sequence.
  for (auto& slot : slots_) {
    if (!slot->job || !slot->decoding) continue;
    SequenceRun& run = *slot->job->run;
    batch.push_back({run.last_token(), run.next_pos(), slot->seq, true});
    row_slot.push_back(slot.get());
  }
  // Then prompt chunks, oldest admission first, within the step's budget.
  int budget = std::max(options_.batch_tokens - static_cast<int>(batch.size()), 1);
  std::vector<Slot*> prefilling;
  for (auto& slot : slots_) {
    if (slot->job && !slot->decoding) prefilling.push_back(slot.get());
  }
  std::sort(prefilling.begin(), prefilling.end(),
            [](const Slot* a, const Slot* b) { return a->job->admitted < b->job->admitted; });
  int prompt_tokens = 0;
  for (Slot* slot : prefilling) {
    if (budget <= 0) break;
    if (options_.prefill_group_tokens > 0 && prompt_tokens >= options_.prefill_group_tokens) break;
    const std::vector<TokenId>& prompt = slot->job->request.prompt;
    const size_t from = slot->cached.size();
    const size_t n = std::min(prompt.size() - from, static_cast<size_t>(budget));
    for (size_t i = from; i < from + n; ++i) {
      const bool last = i + 1 == prompt.size();
      batch.push_back({prompt[i], static_cast<int32_t>(i), slot->seq, last});
      if (last) row_slot.push_back(slot);
    }
    budget -= static_cast<int>(n);
    prompt_tokens += static_cast<int>(n);
  }
  if (batch.empty()) return {};

  if (auto st = inst_.forward().Run(batch, &logits_); !st) return st;
  for (const BatchToken& t : batch) {
    slots_[static_cast<size_t>(t.seq)]->cached.push_back(t.token);
  }
  {
    uint64_t n_prompt_tokens = 0;
    for (const BatchToken& t : batch) {
      if (!slots_[static_cast<size_t>(t.seq)]->decoding) ++n_prompt_tokens;
    }
    std::lock_guard lk(mu_);
    ++stats_.steps;
    stats_.prompt_tokens += n_prompt_tokens;
  }

  const int n_vocab = inst_.model().hparams().n_vocab;
  const auto now = SteadyClock::now();
  for (size_t row = 0; row < row_slot.size(); ++row) {
    Slot& slot = *row_slot[row];
    Job& job = *slot.job;
    if (!slot.decoding) {
      slot.decoding = true;
      job.prefilled = now;
    }
    const JobCallbacks& cb = job.callbacks;
    const PieceSink sink = [&cb](std::string_view text, std::span<const TokenId> tokens,
                                 std::span<const SampleLogprobs> logprobs) {
      if (cb.on_piece) cb.on_piece(GeneratedPiece{text, tokens, logprobs});
      return true;
    };
    std::span<float> row_logits(logits_.data() + row * static_cast<size_t>(n_vocab),
                                static_cast<size_t>(n_vocab));
    const size_t before = job.run->result().tokens.size();
    auto more = job.run->Step(row_logits, sink);
    if (job.run->result().tokens.size() > before) {
      // Counted before on_done runs, so a client that reads the stats after
      // its answer sees its own tokens.
      std::lock_guard lk(mu_);
      ++stats_.generated_tokens;
    }
    if (!more) {
      Finish(slot, more.error());
    } else if (!*more) {
      job.run->Finish(sink);
      Finish(slot, job.run->TakeResult());
    }
  }
  return {};
}

void Scheduler::Finish(Slot& slot, Result<GenerateResult> result) {
  std::unique_ptr<Job> job = std::move(slot.job);
  slot.decoding = false;
  ++finish_counter_;
  slot.last_used = finish_counter_;
  const auto now = SteadyClock::now();
  if (result) {
    GenerateTimings& t = result->timings;
    const bool prefilled = job->prefilled != SteadyClock::time_point{};
    t.prompt_ms = MsBetween(job->admitted, prefilled ? job->prefilled : now);
    t.decode_ms = prefilled ? MsBetween(job->prefilled, now) : 0;
    t.n_prompt = static_cast<int>(job->request.prompt.size());
    t.n_decoded = static_cast<int>(result->tokens.size());
  } else {
    // A failed forward pass may have left part of a chunk behind: forget the sequence.
    inst_.kv().RemoveSeq(slot.seq);
    slot.cached.clear();
  }
  {
    std::lock_guard lk(mu_);
    if (result && result->finish_reason == "cancelled") {
      ++stats_.jobs_cancelled;
    } else {
      ++stats_.jobs_done;
    }
    stats_.active = static_cast<int>(std::count_if(
        slots_.begin(), slots_.end(), [](const auto& s) { return s->job != nullptr; }));
  }
  if (job->callbacks.on_done) job->callbacks.on_done(std::move(result));
}

}  // namespace shimmy
