// The weights of a loaded model: views into the mapped GGUF file (zero
// copy). A Weight is null when the model does not have that tensor.
#pragma once

#include <cstdint>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/matmul.h"

namespace shimmy {

struct Weight {
  const gguf::TensorInfo* info = nullptr;

  explicit operator bool() const { return info != nullptr; }
  DType type() const { return info->type; }
  int64_t dim(size_t i) const { return i < info->shape.size() ? info->shape[i] : 1; }
  const std::byte* data() const { return info->data; }
  // As a matrix of dim(1)*dim(2)*.. rows of dim(0) columns.
  WeightMatrix matrix() const;
  // Matrix `e` of a stacked 3-D tensor [n_cols, n_rows, n_expert].
  WeightMatrix expert(int64_t e) const;
  // F32 vector data (norm weights, biases); null unless the type is F32.
  const float* f32() const;
};

struct LayerWeights {
  Weight attn_norm;
  Weight wq, wk, wv, wo, wqkv;
  Weight bq, bk, bv, bo;
  Weight q_norm, k_norm;
  Weight post_attn_norm;  // Gemma 2/3: norm of the attention output
  Weight ffn_norm;
  Weight ffn_gate, ffn_up, ffn_down;
  Weight post_ffn_norm;   // Gemma 2/3: norm of the FFN output
  // Mixture of experts.
  Weight ffn_gate_inp;  // router [n_embd, n_expert]
  Weight ffn_gate_exps, ffn_up_exps, ffn_down_exps;
};

struct ModelWeights {
  Weight token_embd;
  Weight output_norm;
  Weight output;      // null: tied to token_embd
  Weight rope_freqs;  // per-dimension rope frequency divisors (Llama 3.1+)
  std::vector<LayerWeights> layers;
};

}  // namespace shimmy
