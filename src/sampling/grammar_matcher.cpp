#include "sampling/grammar_matcher.h"

#include <bit>
#include <limits>

namespace shimmy {

size_t TokenMask::count() const {
  size_t n = 0;
  for (uint64_t w : words_) n += static_cast<size_t>(std::popcount(w));
  return n;
}

void TokenMask::Apply(std::span<float> logits) const {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n = logits.size();
  for (size_t w = 0; w * 64 < n; ++w) {
    const uint64_t bits = w < words_.size() ? words_[w] : 0;
    if (bits == ~uint64_t{0}) continue;
    const size_t end = std::min(n, w * 64 + 64);
    for (size_t i = w * 64; i < end; ++i) {
      if (((bits >> (i % 64)) & 1) == 0) logits[i] = kNegInf;
    }
  }
}

Result<GrammarMatcher> GrammarMatcher::Create(std::shared_ptr<const Grammar> grammar,
                                              GrammarLimits limits) {
  if (!grammar) return Error("grammar: none given");
  auto automaton = std::make_unique<GrammarAutomaton>(std::move(grammar), limits);
  if (automaton->start() == GrammarAutomaton::kError) return automaton->error();
  return GrammarMatcher(std::move(automaton), limits);
}

GrammarMatcher::GrammarMatcher(std::unique_ptr<GrammarAutomaton> automaton, GrammarLimits limits)
    : automaton_(std::move(automaton)), limits_(limits), state_(automaton_->start()) {}

Result<bool> GrammarMatcher::CanAccept(std::string_view bytes) {
  int32_t s = state_;
  for (char c : bytes) {
    s = automaton_->Step(s, static_cast<uint8_t>(c));
    if (s == GrammarAutomaton::kError) return automaton_->error();
    if (s == GrammarAutomaton::kDead) return false;
  }
  return true;
}

Status GrammarMatcher::Accept(std::string_view bytes) {
  int32_t s = state_;
  for (size_t i = 0; i < bytes.size(); ++i) {
    s = automaton_->Step(s, static_cast<uint8_t>(bytes[i]));
    if (s == GrammarAutomaton::kError) return automaton_->error();
    if (s == GrammarAutomaton::kDead) {
      return Error("grammar: byte " + std::to_string(i) + " of the text (0x" +
                   "0123456789abcdef"[static_cast<uint8_t>(bytes[i]) >> 4] +
                   "0123456789abcdef"[static_cast<uint8_t>(bytes[i]) & 15] +
                   ") is not allowed here");
    }
  }
  state_ = s;
  return {};
}

Result<std::optional<std::string>> GrammarMatcher::ShortestCompletion(size_t max_bytes,
                                                                      size_t max_states) {
  if (automaton_->accepting(state_)) return std::optional<std::string>(std::string());
  // parent[s] = (previous state, byte) on a shortest path from state_.
  std::unordered_map<int32_t, std::pair<int32_t, uint8_t>> parent;
  parent.emplace(state_, std::pair<int32_t, uint8_t>{-1, 0});
  std::vector<int32_t> level{state_}, next;
  for (size_t depth = 0; depth < max_bytes && !level.empty(); ++depth) {
    next.clear();
    for (int32_t from : level) {
      for (int b = 0; b < 256; ++b) {
        const int32_t to = automaton_->Step(from, static_cast<uint8_t>(b));
        if (to == GrammarAutomaton::kError) return automaton_->error();
        if (to == GrammarAutomaton::kDead || parent.count(to) != 0) continue;
        parent.emplace(to, std::pair<int32_t, uint8_t>{from, static_cast<uint8_t>(b)});
        if (automaton_->accepting(to)) {
          std::string path;
          for (int32_t s = to; s != state_; s = parent[s].first) path += static_cast<char>(parent[s].second);
          return std::optional<std::string>(std::string(path.rbegin(), path.rend()));
        }
        if (parent.size() >= max_states) return std::optional<std::string>();
        next.push_back(to);
      }
    }
    level.swap(next);
  }
  return std::optional<std::string>();
}

Result<const TokenMask*> GrammarMatcher::AllowedTokens(const TokenTrie& trie) {
  if (trie.serial() != cached_trie_) {
    masks_.clear();
    mask_bytes_ = 0;
    cached_trie_ = trie.serial();
  }
  if (auto it = masks_.find(state_); it != masks_.end()) return it->second.get();

  auto mask = std::make_unique<TokenMask>(trie.n_tokens());
  const uint8_t* bytes = trie.bytes();
  const uint16_t* depths = trie.depths();
  const uint32_t* ends = trie.subtree_ends();
  const uint32_t* begins = trie.token_begins();
  const int32_t* ids = trie.token_ids();
  const auto n = static_cast<uint32_t>(trie.n_nodes());
  walk_.resize(trie.max_depth() + 1);
  walk_[0] = state_;
  // Preorder: a node's parent state is always walk_[depth - 1].
  for (uint32_t i = 0; i < n;) {
    const int32_t s = automaton_->Step(walk_[depths[i] - 1u], bytes[i]);
    if (s <= GrammarAutomaton::kDead) {
      if (s == GrammarAutomaton::kError) return automaton_->error();
      i = ends[i];
      continue;
    }
    walk_[depths[i]] = s;
    for (uint32_t k = begins[i]; k < begins[i + 1]; ++k) mask->allow(ids[k]);
    ++i;
  }

  if (limits_.max_mask_cache_bytes == 0) {  // caching off (benchmarks)
    uncached_ = std::move(mask);
    return uncached_.get();
  }
  if (mask_bytes_ + mask->bytes() > limits_.max_mask_cache_bytes) {
    masks_.clear();
    mask_bytes_ = 0;
  }
  mask_bytes_ += mask->bytes();
  const TokenMask* out = mask.get();
  masks_[state_] = std::move(mask);
  return out;
}

}  // namespace shimmy
