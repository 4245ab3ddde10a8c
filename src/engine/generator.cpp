#include "engine/generator.h"

#include <algorithm>
#include <chrono>

#include "engine/grammar_constraint.h"
#include "sampling/stop_matcher.h"

namespace shimmy {
namespace {

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<GenerateResult> Generate(Instance& inst, const GenerateRequest& req, const TextSink& sink) {
  const int n_ctx = inst.n_ctx();
  const int n_prompt = static_cast<int>(req.prompt.size());
  if (n_prompt == 0) return Error("the prompt is empty");
  if (n_prompt >= n_ctx) {
    return Error("the prompt has " + std::to_string(n_prompt) + " tokens but the context holds " +
                 std::to_string(n_ctx));
  }
  if (req.max_tokens > 0 && n_prompt + req.max_tokens > n_ctx) {
    return Error("prompt (" + std::to_string(n_prompt) + " tokens) + max_tokens (" +
                 std::to_string(req.max_tokens) + ") exceeds the context size " + std::to_string(n_ctx));
  }
  const int n_vocab = inst.model().hparams().n_vocab;
  auto sampler = Sampler::Create(req.sampling, n_vocab);
  if (!sampler) return sampler.error();
  for (TokenId t : req.prompt) sampler->Accept(t);

  GenerateResult out;
  out.timings.n_prompt = n_prompt;
  inst.kv().RemoveSeq(req.seq);

  std::vector<BatchToken> batch;
  batch.reserve(req.prompt.size());
  for (int i = 0; i < n_prompt; ++i) {
    batch.push_back({req.prompt[static_cast<size_t>(i)], i, req.seq, i + 1 == n_prompt});
  }
  std::vector<float> logits;
  auto start = std::chrono::steady_clock::now();
  if (auto st = inst.forward().Run(batch, &logits); !st) return st.error();
  out.timings.prompt_ms = MsSince(start);

  const bool have_text = inst.has_tokenizer();
  std::optional<StreamDecoder> decoder;
  if (have_text) decoder.emplace(inst.tokenizer());
  StopMatcher stops(req.stop);
  const int limit = req.max_tokens > 0 ? req.max_tokens : n_ctx - n_prompt;
  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return true;
    out.text += piece;
    return sink ? sink(piece) : true;
  };

  std::optional<GrammarConstraint> constraint;
  if (req.grammar) {
    std::vector<TokenId> ends = req.stop_tokens;
    if (req.stop_at_eog && have_text) {
      const auto& eog = inst.tokenizer().vocab().eog;
      ends.insert(ends.end(), eog.begin(), eog.end());
    }
    auto c = GrammarConstraint::Create(inst, req.grammar, std::move(ends));
    if (!c) return c.error();
    constraint.emplace(std::move(c).value());
  }

  start = std::chrono::steady_clock::now();
  out.finish_reason = "length";
  bool cancelled = false;
  for (int step = 0; step < limit; ++step) {
    if (constraint) {
      if (!constraint->Finished()) {
        if (auto st = constraint->Apply(logits, limit - step); !st) return st.error();
      }
      if (constraint->Finished()) {  // complete, and nothing more may (or should) follow
        out.finish_reason = "stop";
        break;
      }
    }
    auto token = sampler->Sample(logits);
    if (!token) return token.error();
    const TokenId id = *token;
    sampler->Accept(id);
    out.tokens.push_back(id);
    const bool eog = req.stop_at_eog && have_text && inst.tokenizer().vocab().IsEog(id);
    const bool stop_token =
        std::find(req.stop_tokens.begin(), req.stop_tokens.end(), id) != req.stop_tokens.end();
    if (eog || stop_token) {
      out.finish_reason = "stop";
      break;
    }
    if (constraint) {
      if (auto st = constraint->Accept(id); !st) return st.error();
    }
    if (have_text) {
      const StopMatcher::Output o = stops.Feed(decoder->Push(id));
      if (!emit(o.text)) {
        cancelled = true;
        break;
      }
      if (o.stopped) {
        out.finish_reason = "stop";
        break;
      }
    }
    if (constraint && constraint->Finished()) {  // the structure is closed
      out.finish_reason = "stop";
      break;
    }
    if (step + 1 == limit) break;  // no forward pass for a token nobody samples
    const BatchToken next{id, n_prompt + step, req.seq, true};
    if (auto st = inst.forward().Run(std::span(&next, 1), &logits); !st) return st.error();
  }
  if (have_text && !cancelled && !stops.stopped()) {
    emit(stops.Feed(decoder->Flush()).text);
    if (!stops.stopped()) emit(stops.Flush());
  }
  out.timings.n_decoded = static_cast<int>(out.tokens.size());
  out.timings.decode_ms = MsSince(start);
  return out;
}

}  // namespace shimmy
