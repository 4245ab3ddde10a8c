// The sampling side of one generation, apart from the forward pass: given
// the logits of the sequence's newest position, pick the next token and
// decide whether to go on (end-of-generation, stop tokens, stop strings,
// grammar, max_tokens). Generate() drives one SequenceRun alone; the
// Scheduler drives many in one batch. Sharing it is what makes a batched
// job's output equal to Generate()'s.
//
//   auto run = SequenceRun::Create(inst, request);     // validates
//   ... forward the prompt, get `logits` of its last position ...
//   while (run->Step(logits, sink).value()) {            // true: go on
//     ... forward {run->last_token(), run->next_pos()} ...
//   }
//   run->Finish(sink);                                   // flushes held-back text
//   GenerateResult r = run->TakeResult();
//
// Not thread-safe; one per sequence, used by one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "base/result.h"
#include "engine/generator.h"
#include "engine/grammar_constraint.h"
#include "engine/instance.h"
#include "sampling/sampler.h"
#include "sampling/stop_matcher.h"
#include "tokenizer/tokenizer.h"

namespace shimmy {

// Text as it becomes safe to show, with the tokens sampled since the last
// call (and their logprobs when asked for). Return false to stop.
using PieceSink = std::function<bool(std::string_view text, std::span<const TokenId> tokens,
                                     std::span<const SampleLogprobs> logprobs)>;

class SequenceRun {
 public:
  // Checks the request against the instance (empty prompt, context size,
  // sampling params, grammar) and sets up the sampler, which has seen the
  // prompt (for penalties).
  static Result<std::unique_ptr<SequenceRun>> Create(Instance& inst, const GenerateRequest& req);

  // Samples from `logits` (the newest position's row; used as scratch).
  // Returns true when another token is wanted: forward last_token() at
  // next_pos() and call again. False: finished (see result().finish_reason)
  // or stopped by the sink.
  Result<bool> Step(std::span<float> logits, const PieceSink& sink);
  // Emits text still held back (a possible stop-string prefix, a partial
  // character) unless the run was stopped by a stop string or the sink.
  void Finish(const PieceSink& sink);

  TokenId last_token() const { return result_.tokens.back(); }
  int32_t next_pos() const { return n_prompt_ + static_cast<int32_t>(result_.tokens.size()) - 1; }
  int n_prompt() const { return n_prompt_; }
  GenerateResult& result() { return result_; }
  GenerateResult TakeResult() { return std::move(result_); }
  bool sink_stopped() const { return sink_stopped_; }

 private:
  SequenceRun(Instance& inst, const GenerateRequest& req, Sampler sampler);
  bool Emit(const std::string& text, const PieceSink& sink);

  Instance& inst_;
  const GenerateRequest req_;  // a copy: a run may outlive its caller's request
  Sampler sampler_;
  std::optional<StreamDecoder> decoder_;
  StopMatcher stops_;
  std::optional<GrammarConstraint> constraint_;
  int n_prompt_ = 0;
  int limit_ = 0;        // tokens this run may sample
  size_t reported_ = 0;  // tokens already handed to the sink
  bool sink_stopped_ = false;
  GenerateResult result_;
};

}  // namespace shimmy
