// Random-weight GGUF models of every supported architecture, for tests,
// benchmarks and the shimmy-make-model tool: the same keys, tensor names and
// shapes that converted models of that architecture carry, filled with
// seeded random numbers instead of trained weights.
//
//   auto spec = RandomModelPreset("llama-3.2-1b").value();
//   spec.type = "Q4_K_M";
//   spec.vocab_path = "ggml-vocab-llama-bpe.gguf";
//   if (auto st = WriteRandomModel(spec, "out.gguf"); !st) ...
//
// Values: matrices and the embedding ~ N(0, weight_std); norm weights
// 1 + N(0, 0.05) (GGUF stores Gemma's "+1" already added, so this suits
// every architecture); biases ~ N(0, 0.1); MoE routers ~ N(0, 0.2), so
// expert choices are not near ties. Normal values come from a 16-bit inverse
// CDF table (tails cut at about 4.3 sigma).
//
// Determinism: every tensor's values depend only on the seed and the
// tensor's name and shape; never on its type, the thread count or the other
// tensors. So the same seed in two types gives the same weights, quantized
// differently, and the same spec always gives the same bytes.
//
// Types: `type` is either one tensor type ("F32", "F16", "BF16", "Q8_0",
// "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K".."Q6_K", "IQ4_NL", "IQ4_XS") used
// for every matrix (token embedding and output included), or a mix in the
// manner of llama-quantize ("Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",
// "Q4_K_M", "Q5_K_S", "Q5_K_M"): the base K-type for most matrices, Q6_K
// for the output projection (the embedding when tied), more bits for some
// layers' attn_v / attn_qkv / ffn_down. Norms, biases, routers and
// rope_freqs are always F32. A matrix whose rows do not fill the type's
// blocks falls back to a 32-block type of similar size (or F16).
//
// Cost: one pass over the weights, split over `n_threads`; tensors are
// streamed to disk, so memory stays at a few tens of MB whatever the size.
// Thread-safe: independent calls may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/hparams.h"

namespace shimmy {

struct RandomModelSpec {
  std::string arch = "llama";  // any name SupportedArchs() lists
  std::string name;            // general.name; "" means "random-<arch>"

  // Shape. Defaults are the fixtures' tiny-random shape.
  int n_embd = 256;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 2;
  int head_dim = 0;  // 0: n_embd / n_head
  int n_ff = 768;
  int n_vocab = 512;  // replaced by the vocabulary's size when vocab_path is set
  int n_ctx = 512;
  // Mixture of experts (qwen3moe needs them; other architectures must leave 0).
  int n_expert = 0;
  int n_expert_used = 0;
  int n_ff_expert = 0;

  // Attention.
  int sliding_window = 0;  // 0: none; which layers use it is the architecture's rule
  std::optional<float> attn_softcap;   // unset: the architecture's default (gemma2: 50)
  std::optional<float> final_softcap;  // unset: the architecture's default (gemma2: 30)
  std::optional<bool> qkv_bias;        // unset: the architecture's default (qwen2: yes)
  bool tied_output = false;            // no output.weight; logits use token_embd
  float norm_eps = 1e-5f;

  // Rope.
  float rope_base = 10000.0f;
  RopeScaling rope_scaling = RopeScaling::kNone;
  float rope_scale_factor = 1.0f;
  int rope_n_ctx_orig = 0;  // yarn: original context; 0 means n_ctx
  // Llama 3.1-style frequency factors in rope_freqs.weight: the scale factor
  // (8 for Llama 3.1, 32 for Llama 3.2); 0 writes no rope_freqs tensor.
  float llama3_rope_factor = 0.0f;
  int llama3_rope_n_ctx_orig = 8192;

  // Weights.
  std::string type = "F32";  // a tensor type or a mix, see above
  uint64_t seed = 1;
  float weight_std = 0.02f;
  std::string vocab_path;  // a GGUF whose tokenizer.* metadata is copied
  int n_threads = 0;       // 0: std::thread::hardware_concurrency()
};

// Names accepted by RandomModelPreset: real shapes ("llama-3.2-1b",
// "qwen2.5-0.5b", "llama-8b", "gemma-2-2b", "gemma-3-1b") and tiny ones for
// tests ("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-qwen3moe",
// "tiny-phi3", "tiny-gemma2", "tiny-gemma3").
std::vector<std::string_view> RandomModelPresets();
Result<RandomModelSpec> RandomModelPreset(std::string_view name);

// Every value `type` may take.
std::vector<std::string_view> RandomModelTypes();

// Checks a spec (not the vocabulary file) without writing anything. Errors
// name the offending field.
Status ValidateRandomModelSpec(const RandomModelSpec& spec);

// Writes the model to `out_path` (replacing it). On error no file is left.
Status WriteRandomModel(const RandomModelSpec& spec, const std::string& out_path);

}  // namespace shimmy
