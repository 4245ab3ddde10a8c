#include "engine/sequence_run.h"

#include <algorithm>

namespace shimmy {

Result<std::unique_ptr<SequenceRun>> SequenceRun::Create(Instance& inst,
                                                         const GenerateRequest& req) {
  const int n_ctx = inst.n_ctx();
  const int n_prompt = static_cast<int>(req.prompt.size());
  if (n_prompt == 0) return Error("the prompt is empty");
  if (n_prompt >= n_ctx) {
    return Error("the prompt has " + std::to_string(n_prompt) + " tokens but the context holds " +
                 std::to_string(n_ctx));
  }
  if (req.max_tokens > 0 && n_prompt + req.max_tokens > n_ctx) {
    return Error("prompt (" + std::to_string(n_prompt) + " tokens) + max_tokens (" +
                 std::to_string(req.max_tokens) + ") exceeds the context size " +
                 std::to_string(n_ctx));
  }
  auto sampler = Sampler::Create(req.sampling, inst.model().hparams().n_vocab);
  if (!sampler) return sampler.error();
  std::unique_ptr<SequenceRun> run(new SequenceRun(inst, req, std::move(sampler).value()));
  for (TokenId t : req.prompt) run->sampler_.Accept(t);
  run->n_prompt_ = n_prompt;
  run->limit_ = req.max_tokens > 0 ? req.max_tokens : n_ctx - n_prompt;
  run->result_.timings.n_prompt = n_prompt;
  run->result_.finish_reason = "length";
  if (inst.has_tokenizer()) run->decoder_.emplace(inst.tokenizer());
  if (req.grammar) {
    std::vector<TokenId> ends = req.stop_tokens;
    if (req.stop_at_eog && inst.has_tokenizer()) {
      const auto& eog = inst.tokenizer().vocab().eog;
      ends.insert(ends.end(), eog.begin(), eog.end());
    }
    auto c = GrammarConstraint::Create(inst, req.grammar, std::move(ends));
    if (!c) return c.error();
    run->constraint_.emplace(std::move(c).value());
  }
  return run;
}

SequenceRun::SequenceRun(Instance& inst, const GenerateRequest& req, Sampler sampler)
    : inst_(inst), req_(req), sampler_(std::move(sampler)), stops_(req.stop) {}

bool SequenceRun::Emit(const std::string& text, const PieceSink& sink) {
  if (text.empty()) return true;
  result_.text += text;
  const std::span<const TokenId> all(result_.tokens);
  const std::span<const TokenId> tokens = all.subspan(std::min(reported_, all.size()));
  std::span<const SampleLogprobs> lps;
  if (!result_.logprobs.empty()) {
    lps = std::span<const SampleLogprobs>(result_.logprobs)
              .subspan(std::min(reported_, result_.logprobs.size()));
  }
  reported_ = all.size();
  if (sink && !sink(text, tokens, lps)) {
    sink_stopped_ = true;
    return false;
  }
  return true;
}

Result<bool> SequenceRun::Step(std::span<float> logits, const PieceSink& sink) {
  const int step = static_cast<int>(result_.tokens.size());
  if (step >= limit_) return false;
  if (constraint_) {
    if (!constraint_->Finished()) {
      if (auto st = constraint_->Apply(logits, limit_ - step); !st) return st.error();
    }
    if (constraint_->Finished()) {  // complete, and nothing more may (or should) follow
      result_.finish_reason = "stop";
      return false;
    }
  }
  SampleLogprobs lp;
  auto token = sampler_.Sample(logits, req_.logprobs ? &lp : nullptr);
  if (!token) return token.error();
  const TokenId id = *token;
  sampler_.Accept(id);
  result_.tokens.push_back(id);
  if (req_.logprobs) result_.logprobs.push_back(std::move(lp));

  const bool have_text = decoder_.has_value();
  const bool eog = req_.stop_at_eog && have_text && inst_.tokenizer().vocab().IsEog(id);
  const bool stop_token =
      std::find(req_.stop_tokens.begin(), req_.stop_tokens.end(), id) != req_.stop_tokens.end();
  if (eog || stop_token) {
    result_.finish_reason = "stop";
    return false;
  }
  if (constraint_) {
    if (auto st = constraint_->Accept(id); !st) return st.error();
  }
  if (have_text) {
    const StopMatcher::Output o = stops_.Feed(decoder_->Push(id));
    if (!Emit(o.text, sink)) return false;
    if (o.stopped) {
      result_.finish_reason = "stop";
      result_.stop_index = o.stop_index;
      return false;
    }
  }
  if (constraint_ && constraint_->Finished()) {  // the structure is closed
    result_.finish_reason = "stop";
    return false;
  }
  return step + 1 < limit_;  // no forward pass for a token nobody samples
}

void SequenceRun::Finish(const PieceSink& sink) {
  if (decoder_ && !sink_stopped_ && !stops_.stopped()) {
    const StopMatcher::Output o = stops_.Feed(decoder_->Flush());
    if (Emit(o.text, sink) && o.stopped) {
      result_.finish_reason = "stop";
      result_.stop_index = o.stop_index;
    }
    if (!sink_stopped_ && !stops_.stopped()) Emit(stops_.Flush(), sink);
  }
  result_.timings.n_decoded = static_cast<int>(result_.tokens.size());
}

}  // namespace shimmy
