// gemma2 and gemma3 (text). From the public model descriptions: embeddings
// scaled by sqrt(n_embd); GELU(tanh) gated FFN; extra RMSNorms on the
// attention and FFN outputs before the residual add; sliding-window layers
// interleaved with global ones; NEOX rope. Gemma 2 soft-caps attention
// logits and final logits; Gemma 3 normalises q/k heads instead and uses a
// separate rope base (10k) on its local layers. (GGUF norm weights already
// include Gemma's "+1".)
#include <cmath>

#include "model/arch.h"

namespace shimmy {

namespace {
std::vector<LayerBinding> GemmaLayer(bool qk_norm) {
  std::vector<LayerBinding> layer = {
      {"blk.%d.attn_norm.weight", &LayerWeights::attn_norm, Need::kRequired},
      {"blk.%d.attn_q.weight", &LayerWeights::wq, Need::kRequired},
      {"blk.%d.attn_k.weight", &LayerWeights::wk, Need::kRequired},
      {"blk.%d.attn_v.weight", &LayerWeights::wv, Need::kRequired},
      {"blk.%d.attn_output.weight", &LayerWeights::wo, Need::kRequired},
      {"blk.%d.post_attention_norm.weight", &LayerWeights::post_attn_norm, Need::kRequired},
      {"blk.%d.ffn_norm.weight", &LayerWeights::ffn_norm, Need::kRequired},
      {"blk.%d.ffn_gate.weight", &LayerWeights::ffn_gate, Need::kRequired},
      {"blk.%d.ffn_up.weight", &LayerWeights::ffn_up, Need::kRequired},
      {"blk.%d.ffn_down.weight", &LayerWeights::ffn_down, Need::kRequired},
      {"blk.%d.post_ffw_norm.weight", &LayerWeights::post_ffn_norm, Need::kRequired},
  };
  if (qk_norm) {
    layer.push_back({"blk.%d.attn_q_norm.weight", &LayerWeights::q_norm, Need::kRequired});
    layer.push_back({"blk.%d.attn_k_norm.weight", &LayerWeights::k_norm, Need::kRequired});
  }
  return layer;
}

// Queries are scaled by 1/sqrt(query_pre_attn_scalar), which GGUF files do
// not carry. For the published 2B/9B (Gemma 2) and 1B/4B/12B (Gemma 3) it
// equals head_dim, the forward pass's default; the 27B models (46 and 62
// layers) use n_embd / n_head instead (144 and 168, head_dim being 128).
// attention.scale in the file, when present, wins.
void ScaleQueriesLike27B(HParams& hp, int n_layer_27b) {
  if (hp.attn_scale == 0.0f && hp.n_layer == n_layer_27b && !hp.n_head.empty() && hp.n_head[0] > 0) {
    hp.attn_scale = 1.0f / std::sqrt(static_cast<float>(hp.n_embd / hp.n_head[0]));
  }
}

// Gemma 2: every other layer (even indices) uses the sliding window.
void Gemma2Adjust(HParams& hp) {
  for (size_t i = 0; i < hp.layer_uses_swa.size(); ++i) {
    hp.layer_uses_swa[i] = hp.sliding_window > 0 && i % 2 == 0;
  }
  if (hp.attn_softcap == 0.0f) hp.attn_softcap = 50.0f;
  if (hp.final_softcap == 0.0f) hp.final_softcap = 30.0f;
  ScaleQueriesLike27B(hp, 46);
}

// Gemma 3: five local layers, then one global; local layers rope with base
// 10000, global ones with the file's base (and its scaling).
void Gemma3Adjust(HParams& hp) {
  for (size_t i = 0; i < hp.layer_uses_swa.size(); ++i) {
    hp.layer_uses_swa[i] = hp.sliding_window > 0 && (i + 1) % 6 != 0;
  }
  hp.rope.freq_base_swa = 10000.0f;
  hp.rope.swa_unscaled = true;
  hp.attn_softcap = 0.0f;
  hp.final_softcap = 0.0f;
  ScaleQueriesLike27B(hp, 62);
}
}  // namespace

extern const ArchSpec kGemma2Arch{
    .name = "gemma2",
    .rope_style = RopeStyle::kNeox,
    .activation = FfnActivation::kGeluTanh,
    .scale_embeddings = true,
    .globals = StandardGlobals(),
    .layer = GemmaLayer(false),
    .adjust = Gemma2Adjust,
};

extern const ArchSpec kGemma3Arch{
    .name = "gemma3",
    .rope_style = RopeStyle::kNeox,
    .activation = FfnActivation::kGeluTanh,
    .scale_embeddings = true,
    .globals = StandardGlobals(),
    .layer = GemmaLayer(true),
    .adjust = Gemma3Adjust,
};

}  // namespace shimmy
