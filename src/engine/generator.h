// Single-sequence text generation on an Instance: prefill the prompt,
// then sample one token per step until an end-of-generation token, a stop
// string, max_tokens or the end of the context.
//
//   GenerateRequest req{.prompt = ids, .max_tokens = 64};
//   req.sampling.temperature = 0;                       // greedy
//   auto out = Generate(inst, req, [](std::string_view piece) {
//     fwrite(piece.data(), 1, piece.size(), stdout);     // streamed as it comes
//     return true;                                      // false cancels
//   });
//
// Streamed pieces are whole UTF-8 characters and never contain any part of
// a stop string. The KV cache of sequence `seq` is cleared first.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/instance.h"
#include "sampling/grammar.h"
#include "sampling/sampler.h"

namespace shimmy {

struct GenerateRequest {
  std::vector<TokenId> prompt;
  int max_tokens = 0;  // <= 0: until the context is full
  SamplingParams sampling;
  std::vector<std::string> stop;
  bool stop_at_eog = true;  // end-of-generation tokens end the output
  // Further tokens that end the output like EOG (a chat template's
  // end-of-turn marker); never emitted as text.
  std::vector<TokenId> stop_tokens;
  // Structured output: when set, only tokens this grammar accepts are
  // sampled (json_schema.h builds JSON ones); EOG and stop_tokens only once
  // the output is complete, and generation ends ("stop") as soon as the
  // grammar allows nothing more. Stop strings still apply (and may cut the
  // output short). Needs the model's tokenizer.
  std::shared_ptr<const Grammar> grammar;
  SeqId seq = 0;
  // Report each sampled token's logprob (plus sampling.n_top_logprobs
  // alternatives) in GenerateResult::logprobs.
  bool logprobs = false;
};

struct GenerateTimings {
  double prompt_ms = 0;
  double decode_ms = 0;
  int n_prompt = 0;
  int n_decoded = 0;
  double prompt_tok_s() const { return prompt_ms > 0 ? n_prompt * 1000.0 / prompt_ms : 0; }
  double decode_tok_s() const { return decode_ms > 0 ? n_decoded * 1000.0 / decode_ms : 0; }
};

struct GenerateResult {
  std::vector<TokenId> tokens;  // generated ids (EOG token included if hit)
  std::string text;             // emitted text (stop string excluded)
  std::string finish_reason;    // "stop", "length" or (Scheduler) "cancelled"
  GenerateTimings timings;
  std::vector<SampleLogprobs> logprobs;  // parallel to tokens when asked for
  int n_cached = 0;  // prompt tokens reused from the cache (Scheduler)
  int stop_index = -1;  // which of GenerateRequest::stop ended the output, if one did
};

// Receives each safe piece of text; return false to stop early.
using TextSink = std::function<bool(std::string_view piece)>;

Result<GenerateResult> Generate(Instance& inst, const GenerateRequest& request,
                                const TextSink& sink = nullptr);

}  // namespace shimmy
