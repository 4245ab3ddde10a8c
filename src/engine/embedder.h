// Sentence embeddings from a decoder model: the final normalised hidden
// states of a prompt pooled into one vector (mean, CLS = first token, or
// last token), optionally L2-normalised. Pooling defaults to the model's
// `<arch>.pooling_type`, else mean. Uses sequence `seq` of the cache and
// frees it afterwards.
#pragma once

#include <optional>
#include <vector>

#include "base/result.h"
#include "engine/instance.h"

namespace shimmy {

struct EmbedOptions {
  std::optional<Pooling> pooling;  // unset: the model's, else mean
  bool normalize = true;           // L2-normalise the pooled vector
  SeqId seq = 0;
};

Result<std::vector<float>> Embed(Instance& inst, const std::vector<TokenId>& tokens,
                                 const EmbedOptions& options = {});

}  // namespace shimmy
