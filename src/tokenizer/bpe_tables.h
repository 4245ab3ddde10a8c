// The byte-level BPE encoder's merge table, (symbol, symbol) -> merge: an
// open-addressing array built once and read-only afterwards (safe to share
// between threads); a lookup is one or two cache lines instead of a node
// walk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace shimmy {

// Symbols are integers: vocabulary ids for strings that are tokens, and ids
// past the vocabulary for the rest.
using SymbolId = uint32_t;

// (left, right) -> (rank, merged symbol).
class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    SymbolId result;
  };

  explicit MergeTable(size_t n_merges = 0);

  // The first merge listed for a pair wins, as in the reference.
  void InsertIfAbsent(SymbolId left, SymbolId right, Merge merge);

  const Merge* Find(SymbolId left, SymbolId right) const {
    const uint64_t key = Key(left, right);
    for (size_t i = Slot(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }

 private:
  struct Entry {
    uint64_t key;
    Merge merge;
  };
  // Symbol ids stay below 2^32 - 1, so this key never occurs.
  static constexpr uint64_t kEmpty = std::numeric_limits<uint64_t>::max();

  static uint64_t Key(SymbolId left, SymbolId right) {
    return (static_cast<uint64_t>(left) << 32) | right;
  }
  size_t Slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }

  std::vector<Entry> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace shimmy
