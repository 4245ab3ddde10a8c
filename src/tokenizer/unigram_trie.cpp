#include "tokenizer/unigram_trie.h"

#include <algorithm>
#include <numeric>

namespace shimmy {

ByteTrie::ByteTrie(const std::vector<Entry>& entries) {
  root_children_.fill(kNone);
  nodes_.emplace_back();

  // Sorted keys let every node's children be laid out contiguously, in
  // byte order, by a breadth-first pass over ranges of the sorted list.
  std::vector<std::string_view> keys;
  std::vector<int32_t> values;
  {
    std::vector<uint32_t> order(entries.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return entries[a].key < entries[b].key; });
    for (size_t i = 0; i < order.size(); ++i) {
      const Entry& e = entries[order[i]];
      if (e.key.empty()) continue;
      // Equal keys are adjacent and in input order: keep the last one.
      if (i + 1 < order.size() && entries[order[i + 1]].key == e.key) continue;
      keys.push_back(e.key);
      values.push_back(e.value);
    }
  }

  struct Range {
    uint32_t node;
    uint32_t lo, hi;  // keys[lo, hi) share the node's prefix
    uint32_t depth;   // that prefix's length
  };
  std::vector<Range> queue{{0, 0, static_cast<uint32_t>(keys.size()), 0}};
  for (size_t q = 0; q < queue.size(); ++q) {
    auto [node, lo, hi, depth] = queue[q];
    if (lo < hi && keys[lo].size() == depth) {  // the shortest sorts first
      nodes_[node].has_value = 1;
      nodes_[node].value = values[lo];
      ++lo;
    }
    nodes_[node].first_child = static_cast<uint32_t>(nodes_.size());
    uint32_t n_children = 0;
    while (lo < hi) {
      const uint8_t byte = static_cast<uint8_t>(keys[lo][depth]);
      uint32_t end = lo + 1;
      while (end < hi && static_cast<uint8_t>(keys[end][depth]) == byte) ++end;
      const auto child = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
      nodes_.back().label = byte;
      if (node == 0) root_children_[byte] = child;
      queue.push_back({child, lo, end, depth + 1});
      ++n_children;
      lo = end;
    }
    nodes_[node].n_children = static_cast<uint16_t>(n_children);
  }
}

uint32_t ByteTrie::Child(uint32_t node, uint8_t byte) const {
  if (node == 0) return nodes_.empty() ? kNone : root_children_[byte];
  const Node& n = nodes_[node];
  const Node* first = nodes_.data() + n.first_child;
  const Node* last = first + n.n_children;
  if (n.n_children <= 8) {
    for (const Node* c = first; c != last; ++c) {
      if (c->label == byte) return static_cast<uint32_t>(c - nodes_.data());
    }
    return kNone;
  }
  const Node* c =
      std::lower_bound(first, last, byte, [](const Node& a, uint8_t b) { return a.label < b; });
  return (c != last && c->label == byte) ? static_cast<uint32_t>(c - nodes_.data()) : kNone;
}

size_t ByteTrie::PathLength(std::string_view text) const {
  uint32_t node = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    node = Child(node, static_cast<uint8_t>(text[i]));
    if (node == kNone) break;
  }
  return i;
}

}  // namespace shimmy
