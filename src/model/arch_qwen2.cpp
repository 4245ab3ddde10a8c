// qwen2: Qwen 1.5/2/2.5. Llama layout with q/k/v biases, NEOX rope, output
// tied to the embeddings in the small models.
#include "model/arch.h"

namespace shimmy {

namespace {
std::vector<LayerBinding> Qwen2Layer() {
  auto layer = StandardAttention();
  for (const auto& b : StandardFfn()) layer.push_back(b);
  return layer;
}
}  // namespace

extern const ArchSpec kQwen2Arch{
    .name = "qwen2",
    .rope_style = RopeStyle::kNeox,
    .globals = StandardGlobals(),
    .layer = Qwen2Layer(),
};

}  // namespace shimmy
