#include "sampling/utf8_ranges.h"

#include <algorithm>

namespace shimmy {
namespace {

int EncodedLength(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

void Encode(char32_t cp, uint8_t out[4]) {
  const int n = EncodedLength(cp);
  if (n == 1) {
    out[0] = static_cast<uint8_t>(cp);
    return;
  }
  static constexpr uint8_t kLead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
  for (int i = n - 1; i > 0; --i) {
    out[i] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    cp >>= 6;
  }
  out[0] = static_cast<uint8_t>(kLead[n] | cp);
}

// Splits [lo, hi] until every piece has one encoded length and, for every
// continuation byte position, either spans its full 0x80..0xBF range or
// shares all higher-order bytes; such a piece is a plain sequence of byte
// ranges (the first byte's range times the others').
void Split(char32_t lo, char32_t hi, std::vector<std::vector<ByteRange>>& out) {
  if (lo > hi) return;
  if (lo <= 0xDFFF && hi >= 0xD800) {
    if (lo < 0xD800) Split(lo, 0xD7FF, out);
    if (hi > 0xDFFF) Split(0xE000, hi, out);
    return;
  }
  for (char32_t bound : {char32_t{0x7F}, char32_t{0x7FF}, char32_t{0xFFFF}}) {
    if (lo <= bound && hi > bound) {
      Split(lo, bound, out);
      Split(bound + 1, hi, out);
      return;
    }
  }
  const int n = EncodedLength(lo);
  for (int i = 1; i < n; ++i) {
    const char32_t m = (char32_t{1} << (6 * i)) - 1;
    if ((lo & ~m) == (hi & ~m)) continue;
    if ((lo & m) != 0) {
      Split(lo, lo | m, out);
      Split((lo | m) + 1, hi, out);
      return;
    }
    if ((hi & m) != m) {
      Split(lo, (hi & ~m) - 1, out);
      Split(hi & ~m, hi, out);
      return;
    }
  }
  uint8_t a[4], b[4];
  Encode(lo, a);
  Encode(hi, b);
  std::vector<ByteRange> seq;
  for (int i = 0; i < n; ++i) seq.push_back({a[i], b[i]});
  out.push_back(std::move(seq));
}

}  // namespace

std::vector<std::vector<ByteRange>> Utf8Sequences(char32_t lo, char32_t hi) {
  std::vector<std::vector<ByteRange>> out;
  Split(lo, std::min<char32_t>(hi, 0x10FFFF), out);
  return out;
}

}  // namespace shimmy
