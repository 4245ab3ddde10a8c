#include "model/arch.h"

namespace shimmy {

// Each architecture lives in its own arch_*.cpp; listing them here (rather
// than registering from static initialisers, which a static library may
// drop at link time) is the one extra line a new architecture needs.
extern const ArchSpec kLlamaArch;
extern const ArchSpec kQwen2Arch;
extern const ArchSpec kQwen3Arch;
extern const ArchSpec kQwen3MoeArch;
extern const ArchSpec kPhi3Arch;
extern const ArchSpec kGemma2Arch;
extern const ArchSpec kGemma3Arch;

namespace {
const ArchSpec* const kArchs[] = {&kLlamaArch, &kQwen2Arch, &kQwen3Arch, &kQwen3MoeArch,
                                  &kPhi3Arch,  &kGemma2Arch, &kGemma3Arch};
}  // namespace

const ArchSpec* FindArch(std::string_view name) {
  for (const ArchSpec* a : kArchs) {
    if (a->name == name) return a;
  }
  return nullptr;
}

std::vector<std::string_view> SupportedArchs() {
  std::vector<std::string_view> names;
  for (const ArchSpec* a : kArchs) names.push_back(a->name);
  return names;
}

std::vector<GlobalBinding> StandardGlobals() {
  return {
      {"token_embd.weight", &ModelWeights::token_embd, Need::kRequired},
      {"output_norm.weight", &ModelWeights::output_norm, Need::kRequired},
      {"output.weight", &ModelWeights::output, Need::kOptional},
      {"rope_freqs.weight", &ModelWeights::rope_freqs, Need::kOptional},
  };
}

std::vector<LayerBinding> StandardAttention() {
  return {
      {"blk.%d.attn_norm.weight", &LayerWeights::attn_norm, Need::kRequired},
      {"blk.%d.attn_q.weight", &LayerWeights::wq, Need::kRequired},
      {"blk.%d.attn_k.weight", &LayerWeights::wk, Need::kRequired},
      {"blk.%d.attn_v.weight", &LayerWeights::wv, Need::kRequired},
      {"blk.%d.attn_output.weight", &LayerWeights::wo, Need::kRequired},
      {"blk.%d.attn_q.bias", &LayerWeights::bq, Need::kOptional},
      {"blk.%d.attn_k.bias", &LayerWeights::bk, Need::kOptional},
      {"blk.%d.attn_v.bias", &LayerWeights::bv, Need::kOptional},
      {"blk.%d.attn_output.bias", &LayerWeights::bo, Need::kOptional},
  };
}

std::vector<LayerBinding> StandardFfn() {
  return {
      {"blk.%d.ffn_norm.weight", &LayerWeights::ffn_norm, Need::kRequired},
      {"blk.%d.ffn_gate.weight", &LayerWeights::ffn_gate, Need::kRequired},
      {"blk.%d.ffn_up.weight", &LayerWeights::ffn_up, Need::kRequired},
      {"blk.%d.ffn_down.weight", &LayerWeights::ffn_down, Need::kRequired},
  };
}

std::vector<LayerBinding> MoeFfn() {
  return {
      {"blk.%d.ffn_norm.weight", &LayerWeights::ffn_norm, Need::kRequired},
      {"blk.%d.ffn_gate_inp.weight", &LayerWeights::ffn_gate_inp, Need::kRequired},
      {"blk.%d.ffn_gate_exps.weight", &LayerWeights::ffn_gate_exps, Need::kRequired},
      {"blk.%d.ffn_up_exps.weight", &LayerWeights::ffn_up_exps, Need::kRequired},
      {"blk.%d.ffn_down_exps.weight", &LayerWeights::ffn_down_exps, Need::kRequired},
  };
}

}  // namespace shimmy
