// SentencePiece's precompiled normalisation rules, as GGUF stores them in
// tokenizer.ggml.precompiled_charsmap (e.g. NFKC folding for T5/XLM-R):
//
//   u32 (little-endian)  byte size T of the trie
//   T bytes              a Darts-clone double-array trie: 32-bit units
//                        mapping UTF-8 source sequences to offsets ...
//   rest                 ... into NUL-terminated replacement strings.
//
// A unit packs: bits 0-7 the label (bit 31 too, so a value unit never
// matches a label), bit 8 "a value hangs off this node", bits 10-30 the
// offset to the children (scaled by 256 when bit 9 is set); a value unit
// holds the replacement's offset in bits 0-30.
//
// The blob comes from the model file, so every index is checked: a corrupt
// map makes Parse fail or a rule not apply, never an out-of-bounds read.
// Immutable; lookups are thread-safe and allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace shimmy {

class CharsMap {
 public:
  CharsMap() = default;  // no rules
  static Result<CharsMap> Parse(std::span<const uint8_t> blob);

  struct Match {
    size_t consumed = 0;           // bytes of the input the rule replaces; 0: no rule
    std::string_view replacement;  // points into the map
  };
  // The rule with the longest source that is a prefix of `text` (matching
  // stops at a NUL byte).
  Match LongestPrefix(std::string_view text) const;

  bool empty() const { return units_.empty(); }

 private:
  std::vector<uint32_t> units_;
  std::string replacements_;
};

}  // namespace shimmy
