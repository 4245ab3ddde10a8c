#include "tokenizer/bpe_tables.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace shimmy {
namespace {

// Power-of-two capacity with at most 2/3 load.
size_t CapacityFor(size_t n) { return std::max<size_t>(16, std::bit_ceil(n + n / 2)); }

uint64_t HashOf(std::string_view s) { return std::hash<std::string_view>{}(s); }

// Multiplicative mixing, since std::hash may be weak in the bits used here.
size_t SlotOf(uint64_t hash, int shift) { return (hash * 0x9E3779B97F4A7C15ull) >> shift; }

}  // namespace

StringIndex::StringIndex(const std::vector<std::string>* strings) : strings_(strings) {
  const size_t capacity = CapacityFor(strings->size());
  shift_ = 64 - std::countr_zero(capacity);
  slots_.assign(capacity, {kEmpty, 0});
  const size_t mask = capacity - 1;
  for (size_t id = 0; id < strings->size(); ++id) {
    const std::string& s = (*strings)[id];
    const uint64_t hash = HashOf(s);
    for (size_t i = SlotOf(hash, shift_);; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.id == kEmpty) {
        slot = {static_cast<uint32_t>(id), static_cast<uint32_t>(hash)};
        break;
      }
      if (slot.hash == static_cast<uint32_t>(hash) && (*strings_)[slot.id] == s) break;
    }
  }
}

int64_t StringIndex::Find(std::string_view s) const {
  if (slots_.empty()) return -1;
  const uint64_t hash = HashOf(s);
  const size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(hash, shift_);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id == kEmpty) return -1;
    if (slot.hash == static_cast<uint32_t>(hash) && (*strings_)[slot.id] == s) return slot.id;
  }
}

MergeTable::MergeTable(size_t n_merges) {
  const size_t capacity = CapacityFor(n_merges);
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  slots_.assign(capacity, {kEmpty, {0, 0}});
}

void MergeTable::InsertIfAbsent(SymbolId left, SymbolId right, Merge merge) {
  const uint64_t key = Key(left, right);
  for (size_t i = Slot(key);; i = (i + 1) & mask_) {
    if (slots_[i].key == key) return;
    if (slots_[i].key == kEmpty) {
      slots_[i] = {key, merge};
      return;
    }
  }
}

}  // namespace shimmy
