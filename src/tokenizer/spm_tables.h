// Tables shared by the SentencePiece-family encoders (SentencePiece BPE,
// WordPiece and Unigram): the bytes each id decodes to. A copy of what it
// needs from the Vocab, so it does not depend on the Vocab's lifetime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/string_table.h"
#include "tokenizer/vocab.h"

namespace shimmy {

// What each id decodes to in SentencePiece-family vocabularies:
//   normal        its text with "▁" turned back into spaces
//   byte          the byte of "<0xXX>"
//   user-defined  its text as is
//   control, unknown (and tokens promoted to control)
//                 its text as is, but only when decoding with `special`
//   unused, undefined  nothing
class PieceTable {
 public:
  explicit PieceTable(const Vocab& vocab);

  std::string Piece(TokenId id, bool special) const;

 private:
  enum class Show : uint8_t { kAlways, kSpecialOnly, kNever };
  StringTable pieces_{StringTable::Indexed::kNo};
  std::vector<Show> show_;
};

// Replaces every "▁" (U+2581) in `text` with a space.
std::string UnescapeSpaces(std::string_view text);

}  // namespace shimmy
