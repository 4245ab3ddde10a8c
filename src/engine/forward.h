// The transformer forward pass over a batch of tokens that may belong to
// different sequences (prefill of one request mixed with decode of others).
//
//   Forward fwd(model, kv, pool);
//   std::vector<BatchToken> batch = {{tok, pos, seq, /*logits=*/true}, ...};
//   std::vector<float> logits;                 // n_vocab per wanted token
//   if (auto st = fwd.Run(batch, &logits); !st) ...
//
// Tokens are processed in chunks of at most kMaxChunk; each chunk's K/V go
// into the cache before its attention, so a token sees every earlier
// position of its sequence (in the cache or in the batch). Not thread-safe:
// one engine thread drives a Forward; the kernels fan out over the pool.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "kernels/matmul.h"
#include "engine/rope.h"
#include "kv/kv_cache.h"
#include "model/model.h"
#include "threading/thread_pool.h"
#include "tokenizer/vocab.h"

namespace shimmy {

struct BatchToken {
  TokenId token = 0;
  int32_t pos = 0;
  SeqId seq = 0;
  bool logits = false;  // return this position's logits
};

// The KV cache shape Forward needs for this model: per layer its KV heads
// and their dims (attention finds a head's rows by head index).
KvShape KvShapeFor(const HParams& hp, DType k_type = DType::kF32, DType v_type = DType::kF32);

class Forward {
 public:
  // Scratch grows linearly with the chunk (58 KB per token for Qwen2.5-0.5B,
  // 113 KB for Llama-3.2-1B) and stays resident until ReleaseScratch. 64
  // tokens keep it near 4-7 MB; prefill speed is the same as with 256 or
  // 512 (measured on Q4_K_M, Q8_0 and F16), since with 64-token chunks
  // prefill re-reads the weights at only ~1 GB/s.
  static constexpr int kMaxChunk = 64;

  Forward(std::shared_ptr<const Model> model, KvCache* kv, ThreadPool* pool);

  // Evaluates `batch`. `logits` (if not null) receives n_vocab floats for
  // each token with .logits set, in batch order. `hidden` (if not null)
  // receives the final normalised hidden state (n_embd floats) of every
  // token, for embeddings. On error nothing of the failed chunk is cached.
  Status Run(std::span<const BatchToken> batch, std::vector<float>* logits,
             std::vector<float>* hidden = nullptr);

  const Model& model() const { return *model_; }

  // Frees the scratch buffers (they grow back on the next Run); returns
  // the bytes they held. For an engine going idle after a prefill.
  size_t ReleaseScratch();
  // Bytes the scratch buffers hold now.
  size_t ScratchBytes() const;

 private:
  Status RunChunk(std::span<const BatchToken> chunk, std::vector<float>* logits,
                  std::vector<float>* hidden);
  void Embed(std::span<const BatchToken> chunk);
  void Attention(int il, std::span<const BatchToken> chunk, const std::vector<int>& cells);
  void FeedForward(int il, int n_tokens);
  void MoeFeedForward(int il, int n_tokens);
  void Project(const Weight& w, const Weight& bias, int n_tokens, float* out, int64_t out_stride,
               const QuantizedActivations& xq);
  // One projection of h_ (weight, optional bias, output rows of `stride`).
  struct Projection {
    const Weight* w;
    const Weight* bias;
    float* out;
    int64_t stride;
  };
  // Several projections of the same h_ rows: one quantization per distinct
  // vec-dot type and one parallel step (MatMulGroup) for each, instead of
  // one per matrix.
  void ProjectAll(std::span<const Projection> projections, int n_tokens);

  std::shared_ptr<const Model> model_;
  KvCache* kv_;
  ThreadPool* pool_;
  ParallelFor par_;

  template <typename Self, typename F>
  static void ForEachScratchVector(Self& self, F&& f);

  // Widest row tmp_ holds for this model (see RunChunk), found once.
  size_t TmpWidth() const;
  size_t tmp_width_ = 0;

  // Scratch, sized for the largest chunk seen and reused.
  std::vector<float> x_, h_, q_, k_, v_, attn_, tmp_, gate_, up_;
  std::vector<float> rope_cos_, rope_sin_;
  // Per chunk token: the cells it attends to are cells[first..n) of its
  // sequence's position-sorted list (KvCache::SeqCells), first_swa on
  // sliding-window layers.
  struct VisibleCells {
    const int* cells = nullptr;
    int n = 0;
    int first_swa = 0;
  };
  std::vector<VisibleCells> visible_;
  std::vector<std::vector<float>> scores_;  // per worker
  QuantizedActivations xq_, aq_;
  std::vector<Rope> rope_global_, rope_local_;
  // MoE routing scratch.
  std::vector<float> router_;
  std::vector<int> expert_of_;
  std::vector<float> expert_w_;
  // MoE scratch: expert ranking, slots grouped by expert (start offsets,
  // fill cursors), gathered inputs and expert outputs.
  std::vector<int> moe_order_;
  std::vector<int> moe_start_;
  std::vector<int> moe_fill_;
  std::vector<int> moe_slots_;
  std::vector<float> moe_in_;
  std::vector<float> moe_out_;
};

}  // namespace shimmy
