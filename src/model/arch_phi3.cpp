// phi3: fused QKV projection and fused gate/up FFN (gate rows first), NEOX
// rope; an optional sliding window applies to every layer.
#include "model/arch.h"

namespace shimmy {

namespace {
std::vector<LayerBinding> Phi3Layer() {
  return {
      {"blk.%d.attn_norm.weight", &LayerWeights::attn_norm, Need::kRequired},
      {"blk.%d.attn_qkv.weight", &LayerWeights::wqkv, Need::kRequired},
      {"blk.%d.attn_qkv.bias", &LayerWeights::bq, Need::kOptional},
      {"blk.%d.attn_output.weight", &LayerWeights::wo, Need::kRequired},
      {"blk.%d.attn_output.bias", &LayerWeights::bo, Need::kOptional},
      {"blk.%d.ffn_norm.weight", &LayerWeights::ffn_norm, Need::kRequired},
      {"blk.%d.ffn_up.weight", &LayerWeights::ffn_up, Need::kRequired},
      {"blk.%d.ffn_down.weight", &LayerWeights::ffn_down, Need::kRequired},
  };
}

void Phi3Adjust(HParams& hp) {
  for (size_t i = 0; i < hp.layer_uses_swa.size(); ++i) hp.layer_uses_swa[i] = hp.sliding_window > 0;
}
}  // namespace

extern const ArchSpec kPhi3Arch{
    .name = "phi3",
    .rope_style = RopeStyle::kNeox,
    .globals = StandardGlobals(),
    .layer = Phi3Layer(),
    .adjust = Phi3Adjust,
};

}  // namespace shimmy
