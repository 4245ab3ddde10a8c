// Lookup tables shared by the SentencePiece-family encoders (SentencePiece
// BPE, WordPiece and Unigram): text -> id without allocating, and the bytes
// each id decodes to. Both are immutable copies of what they need from the
// Vocab, so an encoder owns its tables and does not depend on the Vocab's
// lifetime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace shimmy {

// Every token's text -> id (the first id for a text given twice, as Vocab).
// Looked up with string_views, so matching substrings costs no allocation;
// an open-addressing table over one buffer of all texts keeps a probe to
// one or two cache lines, which matters because the merge loops look up
// every candidate pair.
class TokenMap {
 public:
  explicit TokenMap(const Vocab& vocab);

  TokenId Find(std::string_view text) const {
    const uint64_t h = Hash(text);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return kNoToken;
      if (slot.tag == tag && Text(slot.id) == text) return slot.id;
    }
  }
  // Longest token text in bytes.
  size_t max_length() const { return max_length_; }

 private:
  struct Slot {
    uint32_t tag;  // high half of the hash
    TokenId id;    // -1: empty
  };
  static uint64_t Hash(std::string_view s);
  std::string_view Text(TokenId id) const {
    const auto i = static_cast<size_t>(id);
    return std::string_view(texts_).substr(offsets_[i], offsets_[i + 1] - offsets_[i]);
  }

  std::string texts_;              // all token texts, back to back
  std::vector<uint32_t> offsets_;  // token i is texts_[offsets_[i], offsets_[i + 1])
  std::vector<Slot> slots_;        // power-of-two size, at most half full
  size_t mask_ = 0;
  size_t max_length_ = 0;
};

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
  std::vector<std::string> pieces_;
  std::vector<Show> show_;
};

// "<0xXX>" -> the byte; -1 when `text` is not spelled that way.
int ParseByteToken(std::string_view text);

// Replaces every "▁" (U+2581) in `text` with a space.
std::string UnescapeSpaces(std::string_view text);

}  // namespace shimmy
