// Architectures as data. Each supported `general.architecture` is one
// ArchSpec in its own arch_*.cpp file: which tensors it has (name patterns
// bound to LayerWeights/ModelWeights members), its rope style, FFN kind and
// the few switches the shared transformer forward pass reads. The forward
// pass never switches on the architecture's name.
#pragma once

#include <string_view>
#include <vector>

#include "model/hparams.h"
#include "model/weights.h"

namespace shimmy {

enum class FfnActivation { kSilu, kGeluTanh };

enum class Need { kRequired, kOptional };

// One tensor of a layer: name pattern ("blk.%d.attn_q.weight") -> member.
struct LayerBinding {
  const char* pattern;
  Weight LayerWeights::*member;
  Need need;
};

// One model-level tensor ("token_embd.weight").
struct GlobalBinding {
  const char* name;
  Weight ModelWeights::*member;
  Need need;
};

struct ArchSpec {
  std::string_view name;
  RopeStyle rope_style = RopeStyle::kNorm;
  FfnActivation activation = FfnActivation::kSilu;
  // Embeddings multiplied by sqrt(n_embd) after lookup (Gemma).
  bool scale_embeddings = false;
  std::vector<GlobalBinding> globals;
  std::vector<LayerBinding> layer;
  // Architecture quirks applied to the hyper-parameters after reading
  // (e.g. which layers use the sliding window); may be null.
  void (*adjust)(HParams& hp) = nullptr;
};

// The spec for a GGUF architecture name, or null when unsupported.
const ArchSpec* FindArch(std::string_view name);
// Names of every supported architecture.
std::vector<std::string_view> SupportedArchs();

// Bindings shared by the llama-like families, for the arch files to build on.
std::vector<GlobalBinding> StandardGlobals();
std::vector<LayerBinding> StandardAttention();
std::vector<LayerBinding> StandardFfn();
std::vector<LayerBinding> MoeFfn();

}  // namespace shimmy
