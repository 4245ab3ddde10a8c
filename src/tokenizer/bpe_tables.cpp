#include "tokenizer/bpe_tables.h"

#include <algorithm>
#include <bit>

namespace shimmy {
namespace {

// Power-of-two capacity with at most 2/3 load.
size_t CapacityFor(size_t n) { return std::max<size_t>(16, std::bit_ceil(n + n / 2)); }

}  // namespace

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
