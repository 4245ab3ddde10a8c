// What a person (or the model registry) wants to know about a GGUF file
// without loading it: architecture, size, tensor types, context, tokenizer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"

namespace shimmy::gguf {

struct TypeCount {
  DType type;
  size_t n_tensors = 0;
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
};

struct Summary {
  std::string architecture;  // general.architecture
  std::string name;          // general.name
  uint64_t n_params = 0;     // elements over all tensors
  uint64_t n_tensor_bytes = 0;
  std::vector<TypeCount> types;  // most elements first
  std::optional<uint64_t> context_length;
  size_t vocab_size = 0;
  std::string tokenizer_model;  // tokenizer.ggml.model
  std::string tokenizer_pre;    // tokenizer.ggml.pre
  bool has_chat_template = false;
  // The type holding most weight elements among 2-D+ tensors ("Q4_K"), the
  // usual meaning of a model's quantization; "" without tensors.
  std::string dominant_type;
};

Summary Summarize(const GgufFile& file);

// "1.2B", "260K", "7.6M": parameter counts as model cards print them.
std::string FormatParamCount(uint64_t n);

}  // namespace shimmy::gguf
