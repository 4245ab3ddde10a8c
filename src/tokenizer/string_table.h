// Many short strings (a vocabulary's token texts, their decoded bytes) back
// to back in one buffer, optionally with a hash index from text to the
// first position holding it.
//
// Why not vector<string> plus unordered_map<string, id>: for a 128k-token
// vocabulary that is ~4 MB of string headers plus ~8 MB of map nodes and
// buckets, per copy; here it is ~1.4 MB of text and offsets plus a 2 MB
// index, and a lookup by string_view touches one or two cache lines and
// allocates nothing (the merge loops look up every candidate pair).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace shimmy {

class StringTable {
 public:
  enum class Indexed : bool { kNo, kYes };

  explicit StringTable(Indexed indexed = Indexed::kYes) : indexed_(indexed == Indexed::kYes) {}
  StringTable(std::initializer_list<std::string_view> strings, Indexed indexed = Indexed::kYes);

  // Room for `n` strings of `bytes` bytes in all (saves regrowing).
  void Reserve(size_t n, size_t bytes);
  // Appends `s` as string number size(). Aborts past 4 GiB of text in all
  // (callers that read untrusted counts check TotalBytes first).
  void push_back(std::string_view s);

  std::string_view operator[](size_t i) const {
    return std::string_view(texts_).substr(ends_[i], ends_[i + 1] - ends_[i]);
  }
  size_t size() const { return ends_.size() - 1; }
  bool empty() const { return size() == 0; }
  size_t total_bytes() const { return texts_.size(); }

  // Position of the first string equal to `s`, or -1 (always -1 when built
  // with Indexed::kNo).
  int64_t Find(std::string_view s) const {
    if (slots_.empty()) return -1;
    const uint64_t h = Hash(s);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.pos == kEmpty) return -1;
      if (slot.tag == tag && (*this)[slot.pos] == s) return slot.pos;
    }
  }

  // Heap bytes held (text, offsets and index).
  size_t MemoryBytes() const;

  // 8 bytes at a time with a multiply-xorshift mix: these strings are
  // short, and this is far cheaper than a general-purpose string hash.
  static uint64_t Hash(std::string_view s);

 private:
  struct Slot {
    uint32_t tag;  // high half of the hash, to skip most string compares
    uint32_t pos;
  };
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;

  // Adds string `pos` to the index unless an equal one is there already.
  void Insert(uint32_t pos);
  void Rehash(size_t capacity);

  std::string texts_;
  std::vector<uint32_t> ends_{0};  // string i is texts_[ends_[i], ends_[i + 1])
  std::vector<Slot> slots_;        // power-of-two size, at most half full
  size_t mask_ = 0;
  bool indexed_;
};

}  // namespace shimmy
