// Hyper-parameters of a decoder-only transformer, read from the GGUF
// metadata keys "<arch>.*". Values that vary per layer (head counts, feed-
// forward width, sliding-window layers) are stored per layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "gguf/gguf_file.h"

namespace shimmy {

enum class RopeStyle {
  kNorm,  // rotate pairs (x[2i], x[2i+1])
  kNeox,  // rotate pairs (x[i], x[i + n_rot/2])
};

enum class RopeScaling { kNone, kLinear, kYarn };

enum class Pooling { kNone, kMean, kCls, kLast };

struct RopeParams {
  RopeStyle style = RopeStyle::kNorm;
  int n_rot = 0;  // rotated dimensions per head (<= head_dim)
  float freq_base = 10000.0f;
  float freq_base_swa = 10000.0f;  // sliding-window layers (gemma3)
  bool swa_unscaled = false;       // sliding-window layers ignore the scaling
  RopeScaling scaling = RopeScaling::kNone;
  float scale_factor = 1.0f;  // context extension factor
  int n_ctx_orig = 0;         // original training context (yarn)
  float yarn_ext_factor = -1.0f;  // < 0: derived from scaling
  float yarn_attn_factor = 1.0f;
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
};

struct HParams {
  std::string arch;
  int n_vocab = 0;
  int n_ctx_train = 0;
  int n_embd = 0;
  int n_layer = 0;
  std::vector<int> n_head;     // per layer
  std::vector<int> n_head_kv;  // per layer
  std::vector<int> n_ff;       // per layer
  int head_dim_k = 0;
  int head_dim_v = 0;
  float norm_eps = 1e-5f;

  RopeParams rope;

  // Mixture of experts (0 when dense).
  int n_expert = 0;
  int n_expert_used = 0;
  int n_ff_expert = 0;
  bool expert_weights_norm = true;  // renormalise the chosen experts' weights

  // Attention variants.
  int sliding_window = 0;                // 0: none
  std::vector<bool> layer_uses_swa;      // per layer
  float attn_softcap = 0.0f;             // 0: off
  float final_softcap = 0.0f;            // 0: off
  float attn_scale = 0.0f;               // 0: 1/sqrt(head_dim_k)

  Pooling pooling = Pooling::kNone;

  int max_n_head() const;
  int max_n_head_kv() const;
  int max_n_ff() const;
};

// Reads every key the transformer needs. Errors name the missing or
// invalid key. `n_vocab` comes from the vocabulary or the output tensor.
Result<HParams> ReadHParams(const gguf::GgufFile& file);

}  // namespace shimmy
