// shimmy generate / shimmy logits: run a model from the command line.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.h"
#include "app/kv_cache_flags.h"
#include "app/model_arg.h"
#include "app/sampling_flags.h"
#include "engine/generator.h"
#include "sampling/json_schema.h"

namespace shimmy::app {
namespace {

struct GenerateOptions {
  ModelArgs model_args;  // as typed; `model` is the resolved file
  std::string model;
  std::string prompt;
  std::string prompt_tokens;
  int max_tokens = 0;
  SamplingFlags sampling;
  int threads = 0;
  int ctx = 0;
  KvCacheFlags kv;
  std::vector<std::string> stop;
  bool json = false;
  std::string format;        // "json": any JSON object (structured output)
  std::string json_schema;   // a JSON schema file the output must follow
  std::string grammar_file;  // a GBNF grammar file the output must follow
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

// The grammar that --format / --json-schema / --grammar ask for, or null.
Result<std::shared_ptr<const Grammar>> OutputGrammar(const GenerateOptions& o) {
  const int given = !o.format.empty() + !o.json_schema.empty() + !o.grammar_file.empty();
  if (given > 1) return Error("give at most one of --format, --json-schema and --grammar");
  if (!o.format.empty()) {
    if (o.format != "json") return Error("--format takes 'json'");
    return JsonObjectGrammar();
  }
  const std::string& path = !o.json_schema.empty() ? o.json_schema : o.grammar_file;
  if (path.empty()) return std::shared_ptr<const Grammar>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(path + ": cannot read the file");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  Result<std::shared_ptr<const Grammar>> g = Error("");
  if (!o.json_schema.empty()) {
    const auto schema = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) return Error(path + ": not valid JSON");
    g = JsonSchemaGrammar(schema);
  } else {
    g = Grammar::Parse(text);
  }
  if (!g) return g.error().Context(path);
  return g;
}

int RunGenerate(const GenerateOptions& o) {
  if (o.prompt.empty() == o.prompt_tokens.empty()) {
    return Fail("give exactly one of --prompt and --prompt-tokens", kExitUsage);
  }
  auto inst = Instance::Create({.path = o.model,
                                .n_ctx = o.ctx,
                                .n_threads = o.threads,
                                .cache_type_k = o.kv.k_type(),
                                .cache_type_v = o.kv.v_type()});
  if (!inst) return Fail(inst.error().message());
  auto prompt = PromptIds(o, **inst);
  if (!prompt) return Fail(prompt.error().message(), kExitUsage);

  GenerateRequest req;
  req.prompt = *prompt;
  req.max_tokens = o.max_tokens;
  req.stop = o.stop;
  req.sampling = o.sampling.ToParams();
  auto grammar = OutputGrammar(o);
  if (!grammar) return Fail(grammar.error().message(), kExitUsage);
  req.grammar = *grammar;

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
  auto inst = Instance::Create({.path = o.model,
                                .n_ctx = n_ctx,
                                .n_threads = o.threads,
                                .cache_type_k = o.kv.k_type(),
                                .cache_type_v = o.kv.v_type()});
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

// Sorts the positionals into model and prompt text, resolves a model name
// to its file, then runs `run`.
int WithModel(GenerateOptions& o, bool prompt_text, int (*run)(const GenerateOptions&)) {
  const bool prompt_given = !o.prompt.empty() || !o.prompt_tokens.empty();
  auto split = SplitModelArgs(o.model_args, prompt_text, prompt_given);
  if (!split) return Fail(split.error().message(), kExitUsage);
  auto model = ResolveModelArg(split->model);
  if (!model) return Fail(model.error().message());
  o.model = model->path;
  if (split->prompt) o.prompt = *split->prompt;
  return run(o);
}

void AddModelOptions(CLI::App* cmd, GenerateOptions& o, bool prompt_text) {
  AddModelArgs(cmd, o.model_args, prompt_text);
  cmd->add_option("--threads", o.threads, "Compute threads (default: physical cores)");
  cmd->add_option("--ctx", o.ctx, "Context size in tokens (default: the model's)");
  AddKvCacheFlags(cmd, o.kv);
}

}  // namespace

void RegisterGenerate(CLI::App& app, CommandRunner& runner) {
  auto o = std::make_shared<GenerateOptions>();
  auto* gen = app.add_subcommand("generate", "Generate text from a prompt, streamed to stdout");
  AddModelOptions(gen, *o, /*prompt_text=*/true);
  gen->add_option("-p,--prompt", o->prompt, "Prompt text");
  gen->add_option("--prompt-tokens", o->prompt_tokens, "Prompt as token ids: 1,2,3");
  gen->add_option("-n,--max-tokens", o->max_tokens, "Tokens to generate (default: until the end)");
  AddSamplingFlags(gen, o->sampling);
  gen->add_option("--stop", o->stop, "Stop string (repeatable)");
  gen->add_flag("--json", o->json, "Print one JSON object instead of streaming text");
  gen->add_option("--format", o->format, "Constrain the output: 'json' (any JSON object)");
  gen->add_option("--json-schema", o->json_schema, "Constrain the output to this JSON schema file");
  gen->add_option("--grammar", o->grammar_file, "Constrain the output to this GBNF grammar file");
  gen->callback([o, &runner] { runner = [o] { return WithModel(*o, true, RunGenerate); }; });

  auto* logits = app.add_subcommand("logits", "Print the logits of a token sequence as JSON");
  AddModelOptions(logits, *o, /*prompt_text=*/false);
  logits->add_option("--prompt-tokens", o->prompt_tokens, "Token ids: 1,2,3")->required();
  logits->add_option("--positions", o->positions, "last or all")->capture_default_str();
  logits->add_flag("--json", o->json, "JSON output (the only format)");
  logits->callback([o, &runner] { runner = [o] { return WithModel(*o, false, RunLogits); }; });
}

}  // namespace shimmy::app
