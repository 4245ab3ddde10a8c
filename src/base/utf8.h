// Small UTF-8 helpers shared by the tokenizers and the streaming decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shimmy::utf8 {

// Length of the sequence that starts with `lead`, from the lead byte alone:
// 1 for ASCII and for bytes that cannot start a sequence (they are taken
// one at a time), else 2..4.
inline size_t SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Appends the UTF-8 encoding of `cp` (which must be <= 0x10FFFF).
void Append(std::string& out, char32_t cp);

// Decodes one code point at `s[pos]`, advancing `pos`. Invalid or truncated
// sequences decode as U+FFFD and advance by one byte.
char32_t DecodeOne(std::string_view s, size_t& pos);

// Number of bytes at the end of `s` that form an incomplete (but so far
// valid) UTF-8 sequence: 0 when `s` ends on a character boundary.
size_t IncompleteTail(std::string_view s);

}  // namespace shimmy::utf8
