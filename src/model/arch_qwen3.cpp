// qwen3 and qwen3moe: Qwen2-style attention without biases, plus RMSNorm of
// each query and key head (q_norm/k_norm) before rope. qwen3moe replaces the
// FFN by a softmax-routed mixture of experts.
#include "model/arch.h"

namespace shimmy {

namespace {
std::vector<LayerBinding> Qwen3Attention() {
  auto layer = StandardAttention();
  layer.push_back({"blk.%d.attn_q_norm.weight", &LayerWeights::q_norm, Need::kRequired});
  layer.push_back({"blk.%d.attn_k_norm.weight", &LayerWeights::k_norm, Need::kRequired});
  return layer;
}

std::vector<LayerBinding> With(std::vector<LayerBinding> a, const std::vector<LayerBinding>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
}  // namespace

extern const ArchSpec kQwen3Arch{
    .name = "qwen3",
    .rope_style = RopeStyle::kNeox,
    .globals = StandardGlobals(),
    .layer = With(Qwen3Attention(), StandardFfn()),
};

extern const ArchSpec kQwen3MoeArch{
    .name = "qwen3moe",
    .rope_style = RopeStyle::kNeox,
    .globals = StandardGlobals(),
    .layer = With(Qwen3Attention(), MoeFfn()),
};

}  // namespace shimmy
