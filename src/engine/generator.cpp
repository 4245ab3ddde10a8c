#include "engine/generator.h"

#include <chrono>

#include "engine/sequence_run.h"

namespace shimmy {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

Result<GenerateResult> Generate(Instance& inst, const GenerateRequest& req, const TextSink& sink) {
  auto created = SequenceRun::Create(inst, req);
  if (!created) return created.error();
  SequenceRun& run = **created;
  const int n_prompt = run.n_prompt();
  inst.kv().RemoveSeq(req.seq);

  std::vector<BatchToken> batch;
  batch.reserve(req.prompt.size());
  for (int i = 0; i < n_prompt; ++i) {
    batch.push_back({req.prompt[static_cast<size_t>(i)], i, req.seq, i + 1 == n_prompt});
  }
  std::vector<float> logits;
  auto start = std::chrono::steady_clock::now();
  if (auto st = inst.forward().Run(batch, &logits); !st) return st.error();
  const double prompt_ms = MsSince(start);

  const PieceSink pieces = [&sink](std::string_view text, std::span<const TokenId>,
                                   std::span<const SampleLogprobs>) {
    return sink ? sink(text) : true;
  };
  start = std::chrono::steady_clock::now();
  for (;;) {
    auto more = run.Step(logits, pieces);
    if (!more) return more.error();
    if (!*more) break;
    const BatchToken next{run.last_token(), run.next_pos(), req.seq, true};
    if (auto st = inst.forward().Run(std::span(&next, 1), &logits); !st) return st.error();
  }
  run.Finish(pieces);
  GenerateResult out = run.TakeResult();
  out.timings.prompt_ms = prompt_ms;
  out.timings.decode_ms = MsSince(start);
  return out;
}

}  // namespace shimmy
