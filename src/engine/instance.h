// One runnable model: the weights, a KV cache sized for its context, a
// thread pool and the forward pass, created together from a GGUF path.
//
//   auto inst = Instance::Create({.path = "model.gguf", .n_ctx = 4096});
//   inst->forward().Run(batch, &logits);
//
// n_ctx defaults to the model's training context; the cache is reserved,
// not committed, so a long context costs memory only as it fills.
// Not thread-safe: one engine thread uses an Instance.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "engine/forward.h"
#include "kv/kv_cache.h"
#include "model/model.h"
#include "sampling/token_trie.h"
#include "tensor/dtype.h"
#include "threading/thread_pool.h"
#include "tokenizer/tokenizer.h"

namespace shimmy {

struct InstanceOptions {
  std::string path;
  int n_ctx = 0;      // 0: the model's context_length
  int n_threads = 0;  // 0: physical cores
  int n_seq = 1;      // sequences sharing the cache (each may use n_ctx)
  WeightMemory weight_memory = WeightMemory::kAuto;
  // Element types of the KV cache (kv/kv_cache.h): F32, F16 or Q8_0.
  DType cache_type_k = DType::kF32;
  DType cache_type_v = DType::kF32;
};

class Instance {
 public:
  static Result<std::unique_ptr<Instance>> Create(const InstanceOptions& options);

  const Model& model() const { return *model_; }
  std::shared_ptr<const Model> shared_model() const { return model_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  bool has_tokenizer() const { return tokenizer_.has_value(); }
  KvCache& kv() { return *kv_; }
  ThreadPool& pool() { return *pool_; }
  Forward& forward() { return *forward_; }
  // Gives the forward pass's scratch (sized for the last prefill) back to
  // the system; for an engine with nothing left to do.
  void ReleaseScratch();
  int n_ctx() const { return n_ctx_; }
  double load_ms() const { return load_ms_; }
  // The vocabulary as byte strings in a trie, for grammar-constrained
  // sampling: one piece per id below n_vocab, empty (never allowed) for
  // control, end-of-generation and out-of-vocabulary ids. Built on first use
  // (tens of ms for a 150k vocabulary), then shared; null without a
  // tokenizer. Thread-safe.
  std::shared_ptr<const TokenTrie> token_trie() const;

 private:
  Instance() = default;

  std::shared_ptr<const Model> model_;
  std::optional<Tokenizer> tokenizer_;
  std::unique_ptr<KvCache> kv_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Forward> forward_;
  int n_ctx_ = 0;
  double load_ms_ = 0;
  mutable std::once_flag token_trie_once_;
  mutable std::shared_ptr<const TokenTrie> token_trie_;
};

}  // namespace shimmy
