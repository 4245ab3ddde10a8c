#include "sampling/token_trie.h"

#include <algorithm>
#include <atomic>
#include <numeric>

namespace shimmy {

std::shared_ptr<const TokenTrie> TokenTrie::Build(std::vector<std::string> pieces) {
  static std::atomic<uint64_t> next_serial{1};
  std::shared_ptr<TokenTrie> t(new TokenTrie());
  t->serial_ = next_serial.fetch_add(1);
  t->pieces_ = std::move(pieces);
  const auto& p = t->pieces_;

  // Sorted pieces visit the trie in preorder: a prefix sorts before its
  // extensions, and equal pieces are adjacent. So each token attaches to the
  // node created last, and token ranges are contiguous per node.
  std::vector<int32_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!p[i].empty() && p[i].size() <= kMaxPieceBytes) order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return p[static_cast<size_t>(a)] < p[static_cast<size_t>(b)];
  });

  std::vector<uint32_t> path;  // node index at each depth of the current piece
  const std::string* prev = nullptr;
  for (int32_t id : order) {
    const std::string& s = p[static_cast<size_t>(id)];
    size_t common = 0;
    if (prev != nullptr) {
      const size_t n = std::min(prev->size(), s.size());
      while (common < n && (*prev)[common] == s[common]) ++common;
    }
    for (size_t d = path.size(); d > common; --d)
      t->ends_[path[d - 1]] = static_cast<uint32_t>(t->bytes_.size());
    path.resize(common);
    for (size_t d = common; d < s.size(); ++d) {
      path.push_back(static_cast<uint32_t>(t->bytes_.size()));
      t->bytes_.push_back(static_cast<uint8_t>(s[d]));
      t->depths_.push_back(static_cast<uint16_t>(d + 1));
      t->ends_.push_back(0);
      t->token_begin_.push_back(static_cast<uint32_t>(t->ids_.size()));
    }
    t->ids_.push_back(id);
    t->max_depth_ = std::max(t->max_depth_, s.size());
    prev = &s;
  }
  for (uint32_t node : path) t->ends_[node] = static_cast<uint32_t>(t->bytes_.size());
  t->token_begin_.push_back(static_cast<uint32_t>(t->ids_.size()));
  return t;
}

}  // namespace shimmy
