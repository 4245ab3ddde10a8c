// Small GGUF files of every kind discovery tells apart, written with the
// GGUF writer: the tiny tensors are enough, since discovery reads headers.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_writer.h"

namespace shimmy::discovery::fake {

inline std::vector<std::byte> Zeros(size_t n) { return std::vector<std::byte>(n); }

inline gguf::GgufWriter LlmWriter(const std::string& arch, const std::string& name) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String(arch));
  w.Set("general.name", gguf::Value::String(name));
  w.Set(arch + ".context_length", gguf::Value::U32(256));
  w.Set("general.file_type", gguf::Value::U32(0));
  w.AddTensor("token_embd.weight", DType::kF32, {8, 16}, Zeros(8 * 16 * 4));
  w.AddTensor("blk.0.attn_q.weight", DType::kF32, {8, 8}, Zeros(8 * 8 * 4));
  w.AddTensor("output_norm.weight", DType::kF32, {8}, Zeros(8 * 4));
  return w;
}

inline void Write(const gguf::GgufWriter& w, const std::string& path) {
  auto st = w.Write(path);
  ASSERT_TRUE(st.ok()) << st.error().message();
}

inline void WriteLlm(const std::string& path, const std::string& arch = "llama",
                     const std::string& name = "tiny") {
  Write(LlmWriter(arch, name), path);
}

// A bert-style sentence embedder (pooling_type 1 = mean).
inline void WriteEmbedding(const std::string& path) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("bert"));
  w.Set("general.name", gguf::Value::String("tiny-embed"));
  w.Set("bert.context_length", gguf::Value::U32(128));
  w.Set("bert.pooling_type", gguf::Value::U32(1));
  w.Set("general.file_type", gguf::Value::U32(1));
  w.AddTensor("token_embd.weight", DType::kF16, {8, 32}, Zeros(8 * 32 * 2));
  Write(w, path);
}

// A decoder architecture used as an embedder (qwen3-embedding style).
inline void WritePoolingLlm(const std::string& path) {
  gguf::GgufWriter w = LlmWriter("qwen3", "tiny-qwen3-embed");
  w.Set("qwen3.pooling_type", gguf::Value::U32(3));
  Write(w, path);
}

inline void WriteMmproj(const std::string& path) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("clip"));
  w.Set("general.type", gguf::Value::String("mmproj"));
  w.Set("clip.has_vision_encoder", gguf::Value::Bool(true));
  w.Set("general.file_type", gguf::Value::U32(1));
  w.AddTensor("v.patch_embd.weight", DType::kF16, {4, 4, 3, 8}, Zeros(4 * 4 * 3 * 8 * 2));
  Write(w, path);
}

inline void WriteLora(const std::string& path, const std::string& arch,
                      const std::string& base_name) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String(arch));
  w.Set("general.type", gguf::Value::String("adapter"));
  w.Set("adapter.type", gguf::Value::String("lora"));
  w.Set("adapter.lora.alpha", gguf::Value::F32(16.0f));
  if (!base_name.empty()) w.Set("general.base_model.0.name", gguf::Value::String(base_name));
  w.Set("general.file_type", gguf::Value::U32(0));
  w.AddTensor("blk.0.attn_q.weight.lora_a", DType::kF32, {8, 2}, Zeros(8 * 2 * 4));
  w.AddTensor("blk.0.attn_q.weight.lora_b", DType::kF32, {2, 8}, Zeros(2 * 8 * 4));
  Write(w, path);
}

inline void WriteVocabOnly(const std::string& path) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("llama"));
  w.Set("tokenizer.ggml.model", gguf::Value::String("gpt2"));
  w.Set("tokenizer.ggml.tokens", gguf::Value::StringArray({"a", "b", "c"}));
  Write(w, path);
}

// PREFIX-0000i-of-00003.gguf
inline std::vector<std::string> WriteSplitLlm(const std::string& prefix) {
  gguf::GgufWriter w = LlmWriter("llama", "tiny-split");
  w.AddTensor("output.weight", DType::kF32, {8, 16}, Zeros(8 * 16 * 4));
  auto paths = w.WriteSplit(prefix, 3);
  EXPECT_TRUE(paths.ok()) << paths.error().message();
  return paths.ok() ? *paths : std::vector<std::string>{};
}

}  // namespace shimmy::discovery::fake
