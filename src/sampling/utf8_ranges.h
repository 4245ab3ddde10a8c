// Code point ranges as UTF-8 byte patterns, so that grammars can work on
// bytes while their classes speak of characters.
#pragma once

#include <cstdint>
#include <vector>

namespace shimmy {

struct ByteRange {
  uint8_t lo;
  uint8_t hi;
};

// Sequences of byte ranges whose union is exactly the set of UTF-8
// encodings of the code points in [lo, hi] minus the surrogates
// (U+D800..U+DFFF, which valid UTF-8 never encodes). hi is clamped to
// U+10FFFF. Each sequence has the length of its encodings (1..4 bytes).
// Cost: O(number of sequences), at most a few dozen for any range.
std::vector<std::vector<ByteRange>> Utf8Sequences(char32_t lo, char32_t hi);

}  // namespace shimmy
