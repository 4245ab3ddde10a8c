#include "tokenizer/bpe_byte_level.h"

#include <array>

#include "base/utf8.h"

namespace shimmy::byte_level {
namespace {

constexpr bool StandsForItself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> to_cp{};
  // Every alphabet code point is below 0x144 (256 + 68).
  std::array<int16_t, 0x144> to_byte{};
  // UTF-8 of to_cp[b]: one or two bytes (every code point is below 0x800).
  std::array<std::array<char, 2>, 256> utf8{};
  std::array<uint8_t, 256> utf8_len{};

  constexpr Tables() {
    for (auto& b : to_byte) b = -1;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const char32_t cp = StandsForItself(b) ? static_cast<char32_t>(b) : next++;
      to_cp[b] = cp;
      to_byte[cp] = static_cast<int16_t>(b);
      if (cp < 0x80) {
        utf8[b] = {static_cast<char>(cp), 0};
        utf8_len[b] = 1;
      } else {
        utf8[b] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        utf8_len[b] = 2;
      }
    }
  }
};

constexpr Tables kTables;

}  // namespace

char32_t ByteToCodepoint(uint8_t byte) { return kTables.to_cp[byte]; }

int CodepointToByte(char32_t cp) { return cp < kTables.to_byte.size() ? kTables.to_byte[cp] : -1; }

std::string Encode(std::string_view bytes) {
  std::string out;
  EncodeAppend(bytes, out);
  return out;
}

void EncodeAppend(std::string_view bytes, std::string& out) {
  out.reserve(out.size() + bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out.append(kTables.utf8[b].data(), kTables.utf8_len[b]);
  }
}

bool Decode(std::string_view text, std::string& out) {
  const size_t mark = out.size();
  size_t pos = 0;
  while (pos < text.size()) {
    // A broken sequence decodes as U+FFFD, which is not in the alphabet.
    const int byte = CodepointToByte(utf8::DecodeOne(text, pos));
    if (byte < 0) {
      out.resize(mark);
      return false;
    }
    out.push_back(static_cast<char>(byte));
  }
  return true;
}

}  // namespace shimmy::byte_level
