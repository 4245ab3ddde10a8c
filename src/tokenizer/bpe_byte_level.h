// GPT-2's byte-level alphabet: every byte 0..255 is written as one
// printable code point, so byte-level vocabularies store arbitrary bytes as
// ordinary strings. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
// stand for themselves; the other 68 take U+0100.. in byte order (space is
// 'Ġ' U+0120, '\n' is 'Ċ' U+010A).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shimmy::byte_level {

// The code point that stands for `byte`.
char32_t ByteToCodepoint(uint8_t byte);

// The byte `cp` stands for, or -1 when `cp` is not in the alphabet.
int CodepointToByte(char32_t cp);

// UTF-8 of the byte-level form of `bytes` (2 bytes out for most non-ASCII).
std::string Encode(std::string_view bytes);
void EncodeAppend(std::string_view bytes, std::string& out);

// Appends the bytes that byte-level `text` (UTF-8) stands for. Returns
// false, and appends nothing, when `text` has a character outside the
// alphabet or is not valid UTF-8.
bool Decode(std::string_view text, std::string& out);

}  // namespace shimmy::byte_level
