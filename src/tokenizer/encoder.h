// The per-model half of a tokenizer. The Tokenizer facade splits text on
// special tokens and adds BOS/EOS; an Encoder turns one fragment of plain
// text into ids and one id back into bytes. Encoders are immutable after
// construction and safe to use from many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "tokenizer/vocab.h"

namespace shimmy {

struct FragmentContext {
  // True for the first text fragment, and for a fragment that directly
  // follows a special token (SentencePiece adds its space prefix then).
  bool after_special = true;
  // True when this fragment is the first thing in the encoded sequence.
  bool first = true;
};

class Encoder {
 public:
  virtual ~Encoder() = default;

  // Appends the ids of `text` (which contains no special tokens to split).
  virtual void EncodeFragment(std::string_view text, const FragmentContext& ctx,
                              std::vector<TokenId>& out) const = 0;

  // The bytes `id` stands for in decoded text (e.g. "▁the" -> " the",
  // "<0x0A>" -> "\n", byte-level "Ġ" -> " "). Control tokens decode to ""
  // unless `special`.
  virtual std::string TokenToPiece(TokenId id, bool special) const = 0;
};

// Factories, one per tokenizer model (each in its own file). An encoder may
// keep `vocab` (to look token texts up in its index rather than hold a copy),
// so the Vocab must not change afterwards.
using SharedVocab = std::shared_ptr<const Vocab>;
Result<std::unique_ptr<Encoder>> MakeSpmEncoder(const SharedVocab& vocab);
Result<std::unique_ptr<Encoder>> MakeBpeEncoder(const SharedVocab& vocab);
Result<std::unique_ptr<Encoder>> MakeWordPieceEncoder(const SharedVocab& vocab);
Result<std::unique_ptr<Encoder>> MakeUnigramEncoder(const SharedVocab& vocab);

}  // namespace shimmy
