// Named shapes for random models: real models' published configurations
// (so benchmarks see realistic matrix sizes) and tiny ones for tests.
#include "model/random_model.h"

namespace shimmy {
namespace {

struct Preset {
  std::string_view name;
  RandomModelSpec (*make)();
};

RandomModelSpec Tiny(std::string arch, float eps) {
  RandomModelSpec s;  // defaults: the fixtures' tiny-random shape
  s.arch = std::move(arch);
  s.norm_eps = eps;
  return s;
}

RandomModelSpec Llama32_1B() {
  RandomModelSpec s;
  s.arch = "llama";
  s.n_embd = 2048, s.n_layer = 16, s.n_head = 32, s.n_head_kv = 8, s.head_dim = 64;
  s.n_ff = 8192, s.n_vocab = 128256, s.n_ctx = 131072;
  s.tied_output = true;
  s.rope_base = 500000.0f, s.llama3_rope_factor = 32.0f;
  return s;
}

RandomModelSpec Llama8B() {
  RandomModelSpec s;
  s.arch = "llama";
  s.n_embd = 4096, s.n_layer = 32, s.n_head = 32, s.n_head_kv = 8, s.head_dim = 128;
  s.n_ff = 14336, s.n_vocab = 128256, s.n_ctx = 131072;
  s.rope_base = 500000.0f, s.llama3_rope_factor = 8.0f;
  return s;
}

RandomModelSpec Qwen25_05B() {
  RandomModelSpec s;
  s.arch = "qwen2";
  s.n_embd = 896, s.n_layer = 24, s.n_head = 14, s.n_head_kv = 2, s.head_dim = 64;
  s.n_ff = 4864, s.n_vocab = 151936, s.n_ctx = 32768;
  s.tied_output = true, s.qkv_bias = true;
  s.rope_base = 1000000.0f, s.norm_eps = 1e-6f;
  return s;
}

RandomModelSpec Gemma2_2B() {
  RandomModelSpec s;
  s.arch = "gemma2";
  s.n_embd = 2304, s.n_layer = 26, s.n_head = 8, s.n_head_kv = 4, s.head_dim = 256;
  s.n_ff = 9216, s.n_vocab = 256000, s.n_ctx = 8192;
  s.tied_output = true, s.norm_eps = 1e-6f, s.sliding_window = 4096;
  return s;
}

RandomModelSpec Gemma3_1B() {
  RandomModelSpec s;
  s.arch = "gemma3";
  s.n_embd = 1152, s.n_layer = 26, s.n_head = 4, s.n_head_kv = 1, s.head_dim = 256;
  s.n_ff = 6912, s.n_vocab = 262144, s.n_ctx = 32768;
  s.tied_output = true, s.norm_eps = 1e-6f, s.sliding_window = 512, s.rope_base = 1000000.0f;
  return s;
}

// Gemma tiny models: a window far shorter than the context so tests can
// see it act; gemma3 gets six layers so it has one global layer.
RandomModelSpec TinyGemma2() {
  RandomModelSpec s = Tiny("gemma2", 1e-6f);
  s.tied_output = true, s.sliding_window = 16;
  return s;
}

RandomModelSpec TinyGemma3() {
  RandomModelSpec s = Tiny("gemma3", 1e-6f);
  s.n_layer = 6, s.n_embd = 128, s.n_ff = 384, s.head_dim = 32;
  s.tied_output = true, s.sliding_window = 16, s.rope_base = 1000000.0f;
  return s;
}

RandomModelSpec TinyQwen3Moe() {
  RandomModelSpec s = Tiny("qwen3moe", 1e-6f);
  s.n_expert = 8, s.n_expert_used = 2, s.n_ff_expert = 256;
  return s;
}

RandomModelSpec TinyQwen2() {
  RandomModelSpec s = Tiny("qwen2", 1e-6f);
  s.tied_output = true;
  return s;
}

constexpr Preset kPresets[] = {
    {"llama-3.2-1b", Llama32_1B},
    {"qwen2.5-0.5b", Qwen25_05B},
    {"llama-8b", Llama8B},
    {"gemma-2-2b", Gemma2_2B},
    {"gemma-3-1b", Gemma3_1B},
    {"tiny-llama", [] { return Tiny("llama", 1e-5f); }},
    {"tiny-qwen2", TinyQwen2},
    {"tiny-qwen3", [] { return Tiny("qwen3", 1e-6f); }},
    {"tiny-qwen3moe", TinyQwen3Moe},
    {"tiny-phi3", [] { return Tiny("phi3", 1e-5f); }},
    {"tiny-gemma2", TinyGemma2},
    {"tiny-gemma3", TinyGemma3},
};

}  // namespace

std::vector<std::string_view> RandomModelPresets() {
  std::vector<std::string_view> names;
  for (const Preset& p : kPresets) names.push_back(p.name);
  return names;
}

Result<RandomModelSpec> RandomModelPreset(std::string_view name) {
  for (const Preset& p : kPresets) {
    if (p.name == name) {
      RandomModelSpec s = p.make();
      s.name = "random-" + std::string(name);
      return s;
    }
  }
  std::string names;
  for (const Preset& p : kPresets) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return Error("unknown preset '" + std::string(name) + "' (known: " + names + ")");
}

}  // namespace shimmy
