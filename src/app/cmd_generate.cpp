// shimmy generate / shimmy logits: run a model from the command line.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.h"
#include "engine/generator.h"

namespace shimmy::app {
namespace {

struct GenerateOptions {
  std::string model;
  std::string prompt;
  std::string prompt_tokens;
  int max_tokens = 0;
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.9f;
  float min_p = 0.0f;
  float repeat_penalty = 1.0f;
  int64_t seed = -1;
  int threads = 0;
  int ctx = 0;
  std::vector<std::string> stop;
  bool json = false;
  std::string positions = "last";
};

Result<std::vector<TokenId>> ParseIds(const std::string& text) {
  std::vector<TokenId> ids;
  std::string s = text;
  for (char& c : s) {
    if (c == ',') c = ' ';
  }
  std::istringstream in(s);
  std::string word;
  while (in >> word) {
    try {
      size_t used = 0;
      const long v = std::stol(word, &used);
      if (used != word.size() || v < 0 || v > INT32_MAX) throw std::invalid_argument(word);
      ids.push_back(static_cast<TokenId>(v));
    } catch (const std::exception&) {
      return Error("'" + word + "' is not a token id");
    }
  }
  return ids;
}

int Fail(const std::string& message, int code = kExitRuntime) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

// The prompt as token ids: either given, or the tokenized text (with BOS
// as the vocabulary asks).
Result<std::vector<TokenId>> PromptIds(const GenerateOptions& o, const Instance& inst) {
  if (!o.prompt_tokens.empty()) {
    auto ids = ParseIds(o.prompt_tokens);
    if (!ids) return ids;
    for (TokenId id : *ids) {
      if (id >= inst.model().hparams().n_vocab) {
        return Error("token id " + std::to_string(id) + " is outside the vocabulary");
      }
    }
    return ids;
  }
  if (!inst.has_tokenizer()) return Error("this model has no vocabulary; use --prompt-tokens");
  return inst.tokenizer().Encode(o.prompt, {.add_special = true, .parse_special = true});
}

int RunGenerate(const GenerateOptions& o) {
  if (o.prompt.empty() == o.prompt_tokens.empty()) {
    return Fail("give exactly one of --prompt and --prompt-tokens", kExitUsage);
  }
  auto inst = Instance::Create({.path = o.model, .n_ctx = o.ctx, .n_threads = o.threads});
  if (!inst) return Fail(inst.error().message());
  auto prompt = PromptIds(o, **inst);
  if (!prompt) return Fail(prompt.error().message(), kExitUsage);

  GenerateRequest req;
  req.prompt = *prompt;
  req.max_tokens = o.max_tokens;
  req.stop = o.stop;
  req.sampling.temperature = o.temperature;
  req.sampling.top_k = o.top_k;
  req.sampling.top_p = o.top_p;
  req.sampling.min_p = o.min_p;
  req.sampling.repeat_penalty = o.repeat_penalty;
  if (o.seed >= 0) req.sampling.seed = static_cast<uint64_t>(o.seed);

  TextSink sink;
  if (!o.json) {
    sink = [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);  // stream: each piece as soon as it exists
      return true;
    };
  }
  auto result = Generate(**inst, req, sink);
  if (!result) return Fail(result.error().message());
  const GenerateTimings& t = result->timings;
  if (o.json) {
    nlohmann::json j = {
        {"prompt_tokens", req.prompt},
        {"tokens", result->tokens},
        {"text", result->text},
        {"finish_reason", result->finish_reason},
        {"timings",
         {{"load_ms", (*inst)->load_ms()},
          {"prompt_ms", t.prompt_ms},
          {"decode_ms", t.decode_ms},
          {"prompt_tok_s", t.prompt_tok_s()},
          {"decode_tok_s", t.decode_tok_s()}}},
    };
    std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fputc('\n', stdout);
    std::fprintf(stderr, "[%d prompt tokens %.1f tok/s, %d generated %.1f tok/s, finish: %s]\n",
                 t.n_prompt, t.prompt_tok_s(), t.n_decoded, t.decode_tok_s(),
                 result->finish_reason.c_str());
  }
  return kExitOk;
}

int RunLogits(const GenerateOptions& o) {
  if (o.positions != "last" && o.positions != "all") {
    return Fail("--positions must be 'last' or 'all'", kExitUsage);
  }
  auto ids = ParseIds(o.prompt_tokens);
  if (!ids) return Fail(ids.error().message(), kExitUsage);
  if (ids->empty()) return Fail("--prompt-tokens is empty", kExitUsage);
  const int n_ctx = std::max(o.ctx, static_cast<int>(ids->size()));
  auto inst = Instance::Create({.path = o.model, .n_ctx = n_ctx, .n_threads = o.threads});
  if (!inst) return Fail(inst.error().message());
  const int n_vocab = (*inst)->model().hparams().n_vocab;
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < ids->size(); ++i) {
    batch.push_back({(*ids)[i], static_cast<int32_t>(i), 0, o.positions == "all" || i + 1 == ids->size()});
  }
  std::vector<float> logits;
  if (auto st = (*inst)->forward().Run(batch, &logits); !st) return Fail(st.error().message());
  // Floats printed with 9 significant digits round-trip exactly.
  std::string out = fmt::format("{{\"n_vocab\": {}, \"positions\": [", n_vocab);
  size_t row = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].logits) continue;
    out += fmt::format("{}{{\"pos\": {}, \"logits\": [", row ? ", " : "", i);
    const float* l = logits.data() + row * static_cast<size_t>(n_vocab);
    for (int v = 0; v < n_vocab; ++v) out += fmt::format("{}{:.9g}", v ? ", " : "", l[v]);
    out += "]}";
    ++row;
  }
  out += "]}";
  std::puts(out.c_str());
  return kExitOk;
}

void AddModelOptions(CLI::App* cmd, GenerateOptions& o) {
  cmd->add_option("model", o.model, "GGUF model file")->required();
  cmd->add_option("--threads", o.threads, "Compute threads (default: physical cores)");
  cmd->add_option("--ctx", o.ctx, "Context size in tokens (default: the model's)");
}

}  // namespace

void RegisterGenerate(CLI::App& app, CommandRunner& runner) {
  auto o = std::make_shared<GenerateOptions>();
  auto* gen = app.add_subcommand("generate", "Generate text from a prompt, streamed to stdout");
  AddModelOptions(gen, *o);
  gen->add_option("-p,--prompt", o->prompt, "Prompt text");
  gen->add_option("--prompt-tokens", o->prompt_tokens, "Prompt as token ids: 1,2,3");
  gen->add_option("-n,--max-tokens", o->max_tokens, "Tokens to generate (default: until the end)");
  gen->add_option("--temperature", o->temperature, "Sampling temperature; 0 is greedy")->capture_default_str();
  gen->add_option("--top-k", o->top_k, "Keep the K most likely tokens (0: off)")->capture_default_str();
  gen->add_option("--top-p", o->top_p, "Nucleus sampling mass (1: off)")->capture_default_str();
  gen->add_option("--min-p", o->min_p, "Drop tokens below min-p x the top probability")->capture_default_str();
  gen->add_option("--repeat-penalty", o->repeat_penalty, "Penalty for repeated tokens (1: off)")
      ->capture_default_str();
  gen->add_option("--seed", o->seed, "Random seed (default: random)");
  gen->add_option("--stop", o->stop, "Stop string (repeatable)");
  gen->add_flag("--json", o->json, "Print one JSON object instead of streaming text");
  gen->callback([o, &runner] { runner = [o] { return RunGenerate(*o); }; });

  auto* logits = app.add_subcommand("logits", "Print the logits of a token sequence as JSON");
  AddModelOptions(logits, *o);
  logits->add_option("--prompt-tokens", o->prompt_tokens, "Token ids: 1,2,3")->required();
  logits->add_option("--positions", o->positions, "last or all")->capture_default_str();
  logits->add_flag("--json", o->json, "JSON output (the only format)");
  logits->callback([o, &runner] { runner = [o] { return RunLogits(*o); }; });
}

}  // namespace shimmy::app
