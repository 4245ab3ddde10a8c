#include "tokenizer/encoder.h"

namespace shimmy {

// Placeholder until the Unigram encoder lands: refuses clearly instead of
// producing wrong ids.
Result<std::unique_ptr<Encoder>> MakeUnigramEncoder(const Vocab& vocab) {
  return Error("tokenizer model '" + vocab.model + "' is not implemented yet");
}

}  // namespace shimmy
