#include "tokenizer/normalizer_charsmap.h"

#include <cstring>

namespace shimmy {
namespace {

uint32_t ReadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

uint32_t Label(uint32_t unit) { return unit & (0x80000000u | 0xFFu); }
bool HasValue(uint32_t unit) { return ((unit >> 8) & 1u) != 0; }
uint32_t Offset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }
uint32_t Value(uint32_t unit) { return unit & 0x7FFFFFFFu; }

}  // namespace

Result<CharsMap> CharsMap::Parse(std::span<const uint8_t> blob) {
  if (blob.empty()) return CharsMap();
  if (blob.size() < 4) return Error("precompiled_charsmap is shorter than its header");
  const uint64_t trie_bytes = ReadLe32(blob.data());
  if (trie_bytes + 4 > blob.size()) {
    return Error("precompiled_charsmap: trie size " + std::to_string(trie_bytes) +
                 " exceeds the map (" + std::to_string(blob.size()) + " bytes)");
  }
  CharsMap map;
  map.units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < map.units_.size(); ++i) {
    map.units_[i] = ReadLe32(blob.data() + 4 + 4 * i);
  }
  const size_t strings_at = 4 + trie_bytes;
  map.replacements_.assign(reinterpret_cast<const char*>(blob.data()) + strings_at,
                           blob.size() - strings_at);
  return map;
}

CharsMap::Match CharsMap::LongestPrefix(std::string_view text) const {
  Match best;
  if (units_.empty()) return best;
  const size_t n_units = units_.size();
  uint32_t node = Offset(units_[0]);
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c == 0) break;
    node ^= c;
    if (node >= n_units || Label(units_[node]) != c) break;
    const bool has_value = HasValue(units_[node]);
    node ^= Offset(units_[node]);
    if (!has_value) continue;
    if (node >= n_units) break;
    const uint32_t at = Value(units_[node]);
    if (at >= replacements_.size()) continue;  // corrupt rule: ignore it
    const char* start = replacements_.data() + at;
    const void* nul = std::memchr(start, '\0', replacements_.size() - at);
    if (nul == nullptr) continue;  // unterminated: ignore it
    best.consumed = i + 1;
    best.replacement = std::string_view(start, static_cast<const char*>(nul) - start);
  }
  return best;
}

}  // namespace shimmy
