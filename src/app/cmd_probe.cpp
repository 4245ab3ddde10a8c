// shimmy probe MODEL: does this model actually run? Loads it, evaluates a
// short prompt and samples one token (greedy), then prints one line:
//
//   ok  tiny:q4_k_m  /models/tiny-Q4_K_M.gguf  llama 4.1M Q4_K_M  load 12 ms  token 278 " the"  3.1
//   ms
//
// Failing to load or to run is the answer, not a crash: exit 2 and the
// reason (unknown name, not a language model, broken file, unsupported
// architecture, ...).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/model_arg.h"
#include "engine/generator.h"
#include "gguf/summary.h"

namespace shimmy::app {
namespace {

struct ProbeOptions {
  std::string model;
  int threads = 0;
  int ctx = 256;  // enough for the probe prompt; a small cache loads fast
  bool json = false;
};

int Fail(const std::string& model, const std::string& message) {
  std::fprintf(stderr, "error: probe %s: %s\n", model.c_str(), message.c_str());
  return kExitRuntime;
}

std::string Quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int RunProbe(const ProbeOptions& o) {
  auto resolved = ResolveModelArg(o.model);
  if (!resolved) return Fail(o.model, resolved.error().message());
  auto created = Instance::Create({.path = resolved->path, .n_ctx = o.ctx, .n_threads = o.threads});
  if (!created) return Fail(o.model, created.error().message());
  Instance& inst = **created;

  GenerateRequest req;
  if (inst.has_tokenizer()) {
    req.prompt = inst.tokenizer().Encode("Hello", {.add_special = true});
  }
  // A model without a vocabulary (or a vocabulary that adds nothing)
  // still gets a one-token prompt.
  if (req.prompt.empty()) req.prompt = {std::min<TokenId>(1, inst.model().hparams().n_vocab - 1)};
  req.max_tokens = 1;
  req.stop_at_eog = false;  // an end-of-text token is still a token the model produced
  req.sampling.temperature = 0;
  auto out = Generate(inst, req);
  if (!out) return Fail(o.model, out.error().message());
  if (out->tokens.empty()) return Fail(o.model, "no token was generated");

  const gguf::Summary summary = gguf::Summarize(inst.model().file());
  const std::string name = resolved->name.empty() ? "-" : resolved->name;
  const std::string quant = resolved->entry && !resolved->entry->facts.quant.empty()
                                ? resolved->entry->facts.quant
                                : summary.dominant_type;
  const TokenId token = out->tokens.front();
  const std::string text = inst.has_tokenizer() ? inst.tokenizer().Decode({&token, 1}, true) : "";
  const double run_ms = out->timings.prompt_ms + out->timings.decode_ms;
  if (o.json) {
    const nlohmann::ordered_json j = {
        {"name", resolved->name},
        {"path", resolved->path},
        {"arch", summary.architecture},
        {"params", summary.n_params},
        {"quant", quant},
        {"load_ms", inst.load_ms()},
        {"token", token},
        {"text", text},
        {"n_prompt", out->timings.n_prompt},
        {"run_ms", run_ms},
    };
    std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::puts(fmt::format("ok  {}  {}  {} {} {}  load {:.0f} ms  token {} {}  {:.1f} ms", name,
                          resolved->path, summary.architecture,
                          gguf::FormatParamCount(summary.n_params), quant, inst.load_ms(), token,
                          Quoted(text), run_ms)
                  .c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterProbe(CLI::App& app, CommandRunner& runner) {
  auto o = std::make_shared<ProbeOptions>();
  auto* cmd = app.add_subcommand("probe", "Load a model and generate one token to check it runs");
  cmd->add_option("model", o->model, "Model name (`shimmy list`) or GGUF file")->required();
  cmd->add_option("-t,--threads", o->threads, "Compute threads (default: physical cores)");
  cmd->add_option("--ctx", o->ctx, "Context size in tokens")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 24));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &runner] { runner = [o] { return RunProbe(*o); }; });
}

}  // namespace shimmy::app
