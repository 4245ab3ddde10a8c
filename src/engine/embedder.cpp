#include "engine/embedder.h"

#include <cmath>

namespace shimmy {

Result<std::vector<float>> Embed(Instance& inst, const std::vector<TokenId>& tokens,
                                 const EmbedOptions& options) {
  const HParams& hp = inst.model().hparams();
  if (tokens.empty()) return Error("nothing to embed: no tokens");
  if (static_cast<int>(tokens.size()) > inst.n_ctx()) {
    return Error("input has " + std::to_string(tokens.size()) + " tokens but the context holds " +
                 std::to_string(inst.n_ctx()));
  }
  Pooling pooling = options.pooling.value_or(hp.pooling);
  if (pooling == Pooling::kNone) pooling = Pooling::kMean;

  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back({tokens[i], static_cast<int32_t>(i), options.seq, false});
  }
  inst.kv().RemoveSeq(options.seq);
  std::vector<float> hidden;
  const Status st = inst.forward().Run(batch, nullptr, &hidden);
  inst.kv().RemoveSeq(options.seq);
  if (!st) return st.error();

  const size_t E = static_cast<size_t>(hp.n_embd);
  const size_t n = tokens.size();
  std::vector<float> out(E, 0.0f);
  switch (pooling) {
    case Pooling::kCls:
      std::copy(hidden.begin(), hidden.begin() + static_cast<std::ptrdiff_t>(E), out.begin());
      break;
    case Pooling::kLast:
      std::copy(hidden.end() - static_cast<std::ptrdiff_t>(E), hidden.end(), out.begin());
      break;
    case Pooling::kMean:
    case Pooling::kNone: {
      std::vector<double> sum(E, 0.0);
      for (size_t t = 0; t < n; ++t) {
        for (size_t d = 0; d < E; ++d) sum[d] += hidden[t * E + d];
      }
      for (size_t d = 0; d < E; ++d) out[d] = static_cast<float>(sum[d] / static_cast<double>(n));
      break;
    }
  }
  if (options.normalize) {
    double norm = 0.0;
    for (float v : out) norm += static_cast<double>(v) * v;
    norm = std::sqrt(norm);
    if (norm > 0) {
      for (float& v : out) v = static_cast<float>(v / norm);
    }
  }
  return out;
}

}  // namespace shimmy
