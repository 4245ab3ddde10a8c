// An immutable trie over byte strings, mapping each key to an int32 value.
// The Unigram encoder walks it to find every vocabulary piece that starts at
// a position; the Tokenizer facade uses one to find special tokens.
//
// Nodes live in one flat array; the children of a node are contiguous and
// sorted by byte, so a walk is one binary (or short linear) search per byte
// and never allocates. Building costs a sort of the keys: O(total key bytes
// · log n_keys). Memory is 12 bytes per node (at most one node per key byte).
// Lookups are const and safe from many threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace shimmy {

class ByteTrie {
 public:
  struct Entry {
    std::string_view key;
    int32_t value;
  };

  ByteTrie() = default;
  // The keys need only outlive the constructor. For a key given twice the
  // later entry wins; empty keys are ignored.
  explicit ByteTrie(const std::vector<Entry>& entries);

  bool empty() const { return nodes_.size() <= 1; }

  // Calls fn(length, value) for every key that is a prefix of `text`,
  // shortest first.
  template <class Fn>
  void ForEachPrefix(std::string_view text, Fn&& fn) const {
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = Child(node, static_cast<uint8_t>(text[i]));
      if (node == kNone) return;
      if (nodes_[node].has_value) fn(i + 1, nodes_[node].value);
    }
  }

  // Number of leading bytes of `text` that follow some path from the root,
  // whether or not a key ends there.
  size_t PathLength(std::string_view text) const;

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  struct Node {
    uint32_t first_child = 0;
    uint16_t n_children = 0;
    uint8_t label = 0;
    uint8_t has_value = 0;
    int32_t value = 0;
  };

  uint32_t Child(uint32_t node, uint8_t byte) const;

  std::vector<Node> nodes_;  // nodes_[0] is the root
  // The root has the most children; index them directly.
  std::array<uint32_t, 256> root_children_{};
};

}  // namespace shimmy
