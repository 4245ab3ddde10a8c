// Unicode character properties for text normalisers, answered by utf8proc
// (Unicode 15 tables) except where a tokenizer's reference behaviour needs
// a property utf8proc lacks (White_Space).
#pragma once

#include <cstdint>

namespace shimmy::unicode {

// General category, folded to its major class (\p{L}, \p{M}, ...).
enum class MajorCategory : uint8_t {
  kUnassigned,   // Cn
  kLetter,       // L*
  kMark,         // M*
  kNumber,       // N*
  kPunctuation,  // P*
  kSymbol,       // S*
  kSeparator,    // Z*
  kOther,        // Cc, Cf, Cs, Co
};

MajorCategory CategoryOf(char32_t cp);

// The White_Space property (tab..CR, space, NEL, NBSP, U+1680, U+2000..200A,
// U+2028/2029, U+202F, U+205F, U+3000).
bool IsWhitespace(char32_t cp);

// The first code point of `cp`'s canonical decomposition (NFD): the base
// letter of a precomposed character ("Ä" -> "A"), `cp` itself when it has
// none.
char32_t NfdBase(char32_t cp);

// Simple (one-to-one) lowercase mapping.
char32_t ToLower(char32_t cp);

}  // namespace shimmy::unicode
