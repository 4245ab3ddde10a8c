// shimmy-make-model: writes a random-weight GGUF model of any supported
// architecture, from a preset and/or explicit shape flags.
//
//   shimmy-make-model --preset llama-3.2-1b --type Q4_K_M
//       --vocab ggml-vocab-llama-bpe.gguf --seed 1 -o out.gguf  (one line)
//   shimmy-make-model --arch gemma2 --n-embd 512 --n-layer 4 ... -o g.gguf
//
// Flags given explicitly override the preset. Exit codes: 0 ok, 1 usage
// error, 2 failure while writing.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <functional>

#include "gguf/gguf_file.h"
#include "gguf/summary.h"
#include "model/random_model.h"

namespace {

using shimmy::RandomModelSpec;

// Binds a flag to a value that is copied into the spec only when the flag
// was given, so presets keep their values otherwise.
class Overrides {
 public:
  template <class T, class Field>
  void Add(CLI::App& app, const std::string& flag, Field RandomModelSpec::*field, const std::string& help) {
    auto value = std::make_shared<T>();
    CLI::Option* opt = app.add_option(flag, *value, help);
    apply_.push_back([opt, value, field](RandomModelSpec& s) {
      if (opt->count() > 0) s.*field = *value;
    });
  }
  void Apply(RandomModelSpec& s) const {
    for (const auto& f : apply_) f(s);
  }

 private:
  std::vector<std::function<void(RandomModelSpec&)>> apply_;
};

std::string Join(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shimmy-make-model: write a random-weight GGUF model", "shimmy-make-model"};
  std::string preset, output, rope_scaling;
  bool list = false;
  bool tied = false, qkv_bias = false;
  app.add_option("--preset", preset, "start from a named shape: " + Join(shimmy::RandomModelPresets()));
  app.add_option("-o,--output", output, "where to write the .gguf");
  app.add_flag("--list", list, "list presets and types, then exit");
  Overrides o;
  o.Add<std::string>(app, "--arch", &RandomModelSpec::arch, "architecture (llama, qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3)");
  o.Add<std::string>(app, "--name", &RandomModelSpec::name, "general.name");
  o.Add<std::string>(app, "--type", &RandomModelSpec::type, "tensor type or mix: " + Join(shimmy::RandomModelTypes()));
  o.Add<std::string>(app, "--vocab", &RandomModelSpec::vocab_path, "GGUF to copy tokenizer.* from (sets n_vocab)");
  o.Add<uint64_t>(app, "--seed", &RandomModelSpec::seed, "random seed");
  o.Add<int>(app, "--threads", &RandomModelSpec::n_threads, "worker threads (0: all cores)");
  o.Add<int>(app, "--n-embd", &RandomModelSpec::n_embd, "embedding width");
  o.Add<int>(app, "--n-layer", &RandomModelSpec::n_layer, "layers");
  o.Add<int>(app, "--n-head", &RandomModelSpec::n_head, "query heads");
  o.Add<int>(app, "--n-head-kv", &RandomModelSpec::n_head_kv, "key/value heads");
  o.Add<int>(app, "--head-dim", &RandomModelSpec::head_dim, "head width (0: n_embd / n_head)");
  o.Add<int>(app, "--n-ff", &RandomModelSpec::n_ff, "feed-forward width");
  o.Add<int>(app, "--n-vocab", &RandomModelSpec::n_vocab, "vocabulary size (without --vocab)");
  o.Add<int>(app, "--n-ctx", &RandomModelSpec::n_ctx, "context_length");
  o.Add<int>(app, "--n-expert", &RandomModelSpec::n_expert, "experts (MoE)");
  o.Add<int>(app, "--n-expert-used", &RandomModelSpec::n_expert_used, "experts per token (MoE)");
  o.Add<int>(app, "--n-ff-expert", &RandomModelSpec::n_ff_expert, "expert feed-forward width (MoE)");
  o.Add<int>(app, "--sliding-window", &RandomModelSpec::sliding_window, "attention window (0: none)");
  o.Add<float>(app, "--attn-softcap", &RandomModelSpec::attn_softcap, "attention logit soft-cap");
  o.Add<float>(app, "--final-softcap", &RandomModelSpec::final_softcap, "final logit soft-cap");
  o.Add<float>(app, "--norm-eps", &RandomModelSpec::norm_eps, "RMSNorm epsilon");
  o.Add<float>(app, "--rope-base", &RandomModelSpec::rope_base, "rope frequency base");
  o.Add<float>(app, "--rope-scale-factor", &RandomModelSpec::rope_scale_factor, "rope scaling factor");
  o.Add<int>(app, "--rope-n-ctx-orig", &RandomModelSpec::rope_n_ctx_orig, "yarn original context");
  o.Add<float>(app, "--llama3-rope-factor", &RandomModelSpec::llama3_rope_factor,
               "write Llama 3.1-style rope_freqs with this factor (0: none)");
  o.Add<float>(app, "--weight-std", &RandomModelSpec::weight_std, "standard deviation of matrices");
  app.add_option("--rope-scaling", rope_scaling, "none, linear or yarn")
      ->check(CLI::IsMember({"none", "linear", "yarn"}));
  // Checked by count(): only a flag that was given overrides the preset.
  CLI::Option* tied_flag = app.add_flag("--tied,!--untied", tied, "output projection tied to the embedding");
  CLI::Option* bias_flag =
      app.add_flag("--qkv-bias,!--no-qkv-bias", qkv_bias, "q/k/v biases (default: as the architecture)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (list) {
    fmt::print("presets: {}\ntypes:   {}\n", Join(shimmy::RandomModelPresets()), Join(shimmy::RandomModelTypes()));
    return 0;
  }
  if (output.empty()) {
    fmt::print(stderr, "shimmy-make-model: -o/--output is required\n");
    return 1;
  }

  RandomModelSpec spec;
  if (!preset.empty()) {
    auto p = shimmy::RandomModelPreset(preset);
    if (!p) {
      fmt::print(stderr, "shimmy-make-model: {}\n", p.error().message());
      return 1;
    }
    spec = *p;
  }
  o.Apply(spec);
  if (tied_flag->count() > 0) spec.tied_output = tied;
  if (bias_flag->count() > 0) spec.qkv_bias = qkv_bias;
  if (rope_scaling == "linear") spec.rope_scaling = shimmy::RopeScaling::kLinear;
  if (rope_scaling == "yarn") spec.rope_scaling = shimmy::RopeScaling::kYarn;
  if (rope_scaling == "none") spec.rope_scaling = shimmy::RopeScaling::kNone;
  if (auto st = shimmy::ValidateRandomModelSpec(spec); !st) {
    fmt::print(stderr, "shimmy-make-model: {}\n", st.error().message());
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  if (auto st = shimmy::WriteRandomModel(spec, output); !st) {
    fmt::print(stderr, "shimmy-make-model: {}\n", st.error().message());
    return 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  auto file = shimmy::gguf::GgufFile::Open(output);
  if (!file) {
    fmt::print(stderr, "shimmy-make-model: reading back: {}\n", file.error().message());
    return 2;
  }
  const shimmy::gguf::Summary s = shimmy::gguf::Summarize(*file);
  std::string mix;
  for (const auto& t : s.types) mix += fmt::format("{}{} x{}", mix.empty() ? "" : ", ", shimmy::Name(t.type), t.n_tensors);
  fmt::print("wrote {}\n", output);
  fmt::print("  architecture {}, {} layers, n_embd {}, vocab {}\n", spec.arch, spec.n_layer, spec.n_embd, s.vocab_size > 0 ? s.vocab_size : static_cast<size_t>(spec.n_vocab));
  fmt::print("  parameters   {} ({})\n", shimmy::gguf::FormatParamCount(s.n_params), s.n_params);
  fmt::print("  size         {:.1f} MiB ({} bytes), {:.2f} bits/weight\n", file->file_size() / 1048576.0, file->file_size(),
             s.n_params > 0 ? 8.0 * s.n_tensor_bytes / s.n_params : 0.0);
  fmt::print("  tensors      {} ({})\n", file->tensors().size(), mix);
  fmt::print("  time         {:.2f} s\n", seconds);
  return 0;
}
