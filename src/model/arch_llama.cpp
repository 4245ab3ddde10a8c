// llama: Llama 2/3, Mistral, TinyLlama, SmolLM. Pre-norm blocks, RoPE on
// adjacent pairs, SwiGLU FFN; optional biases; output may be tied.
#include "model/arch.h"

namespace shimmy {

namespace {
std::vector<LayerBinding> LlamaLayer() {
  auto layer = StandardAttention();
  for (const auto& b : StandardFfn()) layer.push_back(b);
  return layer;
}
}  // namespace

extern const ArchSpec kLlamaArch{
    .name = "llama",
    .rope_style = RopeStyle::kNorm,
    .globals = StandardGlobals(),
    .layer = LlamaLayer(),
};

}  // namespace shimmy
