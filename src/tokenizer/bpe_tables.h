// Flat lookup tables for the byte-level BPE encoder: string -> id, and
// (symbol, symbol) -> merge. Both are open-addressing arrays built once and
// read-only afterwards (safe to share between threads); a lookup is one or
// two cache lines instead of a node walk.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace shimmy {

// Finds the id of a string among `strings` (the first one wins when a
// string occurs twice). Keeps a pointer to `strings`, which must outlive it
// and stay unchanged.
class StringIndex {
 public:
  StringIndex() = default;
  explicit StringIndex(const std::vector<std::string>* strings);
  StringIndex(StringIndex&&) = default;
  StringIndex& operator=(StringIndex&&) = default;

  // The id, or -1.
  int64_t Find(std::string_view s) const;
  bool empty() const { return slots_.empty(); }

 private:
  struct Slot {
    uint32_t id;
    uint32_t hash;  // low bits of the hash, to skip most string compares
  };
  static constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();

  const std::vector<std::string>* strings_ = nullptr;
  std::vector<Slot> slots_;
  int shift_ = 64;
};

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
