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

  constexpr Tables() {
    for (auto& b : to_byte) b = -1;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      to_cp[b] = StandsForItself(b) ? static_cast<char32_t>(b) : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

constexpr Tables kTables;

}  // namespace

char32_t ByteToCodepoint(uint8_t byte) { return kTables.to_cp[byte]; }

int CodepointToByte(char32_t cp) { return cp < kTables.to_byte.size() ? kTables.to_byte[cp] : -1; }

std::string Encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) utf8::Append(out, ByteToCodepoint(static_cast<uint8_t>(c)));
  return out;
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
