// Small synthetic vocabularies for tokenizer tests, written as real GGUF
// files with GgufWriter so they go through the same loading path as models.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace shimmy::testing {

struct TestVocab {
  std::string model = "llama";  // tokenizer.ggml.model
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;  // TokenType values

  // Appends a token and returns its id.
  TokenId Add(std::string text, float score = 0.0f, TokenType type = TokenType::kNormal) {
    tokens.push_back(std::move(text));
    scores.push_back(score);
    types.push_back(static_cast<int32_t>(type));
    return static_cast<TokenId>(tokens.size() - 1);
  }
  // Adds the 256 byte tokens "<0x00>".."<0xFF>".
  void AddByteTokens() {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
      Add(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">", 0.0f, TokenType::kByte);
    }
  }
};

// Writes `vocab` (plus whatever `extra` sets) to a GGUF file and loads a
// Tokenizer from it.
inline Result<Tokenizer> LoadTestVocab(const std::string& name, const TestVocab& vocab,
                                       const std::function<void(gguf::GgufWriter&)>& extra = {}) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("llama"));
  w.Set("tokenizer.ggml.model", gguf::Value::String(vocab.model));
  w.Set("tokenizer.ggml.tokens", gguf::Value::StringArray(vocab.tokens));
  w.Set("tokenizer.ggml.scores", gguf::Value::F32Array(vocab.scores));
  w.Set("tokenizer.ggml.token_type", gguf::Value::I32Array(vocab.types));
  if (extra) extra(w);
  const auto path = (TempDir(name) / "vocab.gguf").string();
  if (auto st = w.Write(path); !st) return st.error();
  auto file = gguf::GgufFile::Open(path);
  if (!file) return file.error();
  return Tokenizer::FromGguf(*file);
}

// A fixture vocabulary's tokenizer (the test skips when fixtures are absent).
inline Result<Tokenizer> LoadFixtureVocab(const std::string& file_name) {
  auto file = gguf::GgufFile::Open((FixturesDir() / "tokenizer" / file_name).string());
  if (!file) return file.error();
  return Tokenizer::FromGguf(*file);
}

}  // namespace shimmy::testing
