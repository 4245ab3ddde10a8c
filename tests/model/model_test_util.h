// Shared by the model tests: write a random model into a test directory and
// run token ids through the engine.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "common/fixtures.h"
#include "engine/instance.h"
#include "model/random_model.h"

namespace shimmy::testing {

// Writes `spec` to DIR/NAME.gguf and returns the path (test fails on error).
inline std::string WriteModel(const RandomModelSpec& spec, const std::filesystem::path& dir,
                              const std::string& name) {
  const std::string path = (dir / (name + ".gguf")).string();
  const Status st = WriteRandomModel(spec, path);
  EXPECT_TRUE(st.ok()) << name << ": " << st.error().message();
  return path;
}

inline std::unique_ptr<Instance> Open(const std::string& path, int n_ctx = 128,
                                      WeightMemory memory = WeightMemory::kAuto) {
  auto inst = Instance::Create(
      {.path = path, .n_ctx = n_ctx, .n_threads = 2, .weight_memory = memory});
  EXPECT_TRUE(inst.ok()) << inst.error().message();
  return inst.ok() ? std::move(inst).value() : nullptr;
}

// Logits (n_vocab each) of the positions flagged by `want`, running
// `tokens` (sequence 0, positions 0..n-1) in batches of `batch` tokens.
inline std::vector<float> RunTokens(Instance& inst, const std::vector<TokenId>& tokens,
                                    size_t batch, bool all_positions) {
  inst.kv().Clear();
  std::vector<float> out, logits;
  for (size_t start = 0; start < tokens.size(); start += batch) {
    std::vector<BatchToken> b;
    for (size_t i = start; i < std::min(tokens.size(), start + batch); ++i) {
      b.push_back({tokens[i], static_cast<int32_t>(i), 0, all_positions || i + 1 == tokens.size()});
    }
    const Status st = inst.forward().Run(b, &logits);
    EXPECT_TRUE(st.ok()) << st.error().message();
    out.insert(out.end(), logits.begin(), logits.end());
  }
  return out;
}

// The last position's logits with the whole prompt in one batch.
inline std::vector<float> LastLogits(Instance& inst, const std::vector<TokenId>& tokens) {
  return RunTokens(inst, tokens, tokens.size(), false);
}

inline float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0.0f;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

inline bool AllFinite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return !v.empty();
}

// A fixed pseudo-random prompt of `n` ids below `n_vocab`.
inline std::vector<TokenId> Prompt(int n, int n_vocab, uint32_t salt = 0) {
  std::vector<TokenId> ids;
  uint32_t x = 12345u + salt * 7919u;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    ids.push_back(static_cast<TokenId>((x >> 8) % static_cast<uint32_t>(n_vocab)));
  }
  return ids;
}

}  // namespace shimmy::testing
