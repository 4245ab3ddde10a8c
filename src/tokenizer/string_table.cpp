#include "tokenizer/string_table.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace shimmy {

StringTable::StringTable(std::initializer_list<std::string_view> strings, Indexed indexed)
    : indexed_(indexed == Indexed::kYes) {
  for (std::string_view s : strings) push_back(s);
}

uint64_t StringTable::Hash(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = s.size() * kMul;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h *= kMul;
  return h ^ (h >> 32);
}

void StringTable::Reserve(size_t n, size_t bytes) {
  texts_.reserve(bytes);
  ends_.reserve(n + 1);
  if (indexed_ && 2 * n > slots_.size()) Rehash(std::bit_ceil(std::max<size_t>(16, 2 * n)));
}

void StringTable::push_back(std::string_view s) {
  if (s.size() > std::numeric_limits<uint32_t>::max() - texts_.size() ||
      size() + 1 >= kEmpty) {
    // Vocab::FromGguf rejects such vocabularies before building one.
    std::fputs("StringTable: more than 4 GiB of strings\n", stderr);
    std::abort();
  }
  texts_.append(s);
  ends_.push_back(static_cast<uint32_t>(texts_.size()));
  if (!indexed_) return;
  if (2 * size() > slots_.size()) {
    Rehash(std::max<size_t>(16, 2 * slots_.size()));
  } else {
    Insert(static_cast<uint32_t>(size() - 1));
  }
}

void StringTable::Insert(uint32_t pos) {
  const std::string_view s = (*this)[pos];
  const uint64_t h = Hash(s);
  const auto tag = static_cast<uint32_t>(h >> 32);
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.pos == kEmpty) {
      slot = {tag, pos};
      return;
    }
    if (slot.tag == tag && (*this)[slot.pos] == s) return;  // the first one wins
  }
}

void StringTable::Rehash(size_t capacity) {
  slots_.assign(capacity, Slot{0, kEmpty});
  mask_ = capacity - 1;
  // In order, so that of equal strings the first one is indexed.
  for (size_t pos = 0; pos < size(); ++pos) Insert(static_cast<uint32_t>(pos));
}

size_t StringTable::MemoryBytes() const {
  return texts_.capacity() + ends_.capacity() * sizeof(uint32_t) + slots_.capacity() * sizeof(Slot);
}

}  // namespace shimmy
