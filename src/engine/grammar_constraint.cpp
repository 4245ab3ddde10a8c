#include "engine/grammar_constraint.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shimmy {

Result<GrammarConstraint> GrammarConstraint::Create(const Instance& inst,
                                                    std::shared_ptr<const Grammar> grammar,
                                                    std::vector<TokenId> end_tokens) {
  auto trie = inst.token_trie();
  if (!trie) return Error("a grammar needs the model's vocabulary, and this model has none");
  auto matcher = GrammarMatcher::Create(std::move(grammar));
  if (!matcher) return matcher.error();
  std::erase_if(end_tokens,
                [&](TokenId id) { return id < 0 || static_cast<size_t>(id) >= trie->n_tokens(); });
  return GrammarConstraint(std::move(matcher).value(), std::move(trie), std::move(end_tokens));
}

bool GrammarConstraint::KeepPrefixTokens(std::span<float> logits,
                                         const std::string& completion) {
  // Walk the trie along `completion`: every token ending on that path
  // spells a prefix of it. Children of node i start at i + 1 (preorder);
  // siblings are reached by jumping past a subtree.
  const TokenTrie& t = *trie_;
  kept_.clear();
  uint32_t i = 0, end = static_cast<uint32_t>(t.n_nodes());
  for (char c : completion) {
    while (i < end && t.bytes()[i] != static_cast<uint8_t>(c)) i = t.subtree_ends()[i];
    if (i >= end) break;
    for (uint32_t k = t.token_begins()[i]; k < t.token_begins()[i + 1]; ++k) {
      const TokenId id = t.token_ids()[k];
      kept_.emplace_back(id, logits[static_cast<size_t>(id)]);
    }
    end = t.subtree_ends()[i];
    ++i;
  }
  if (kept_.empty()) return false;
  std::fill(logits.begin(), logits.end(), -std::numeric_limits<float>::infinity());
  // A token the model rules out entirely still beats producing broken output.
  for (const auto& [id, logit] : kept_) logits[static_cast<size_t>(id)] = std::isfinite(logit) ? logit : 0.0f;
  return true;
}

Status GrammarConstraint::Apply(std::span<float> logits, int tokens_left) {
  if (tokens_left <= kCloseWindow + kCloseSlack) {
    auto completion = matcher_.ShortestCompletion(static_cast<size_t>(kCloseWindow));
    if (!completion) return completion.error();
    if (*completion && static_cast<int>((*completion)->size()) + kCloseSlack >= tokens_left) {
      if ((*completion)->empty()) {
        closed_ = true;  // complete: end here rather than open anything new
        return {};
      }
      if (KeepPrefixTokens(logits, **completion)) return {};
    }
  }
  auto mask = matcher_.AllowedTokens(*trie_);
  if (!mask) return mask.error();
  const bool complete = matcher_.IsComplete();
  saved_.clear();
  if (complete) {
    for (TokenId id : ends_) saved_.push_back(logits[static_cast<size_t>(id)]);
  }
  (*mask)->Apply(logits);
  for (size_t i = 0; i < saved_.size(); ++i) logits[static_cast<size_t>(ends_[i])] = saved_[i];
  if ((*mask)->none() && (!complete || ends_.empty())) {
    return Error("grammar: no token of this vocabulary can continue the output here");
  }
  return {};
}

Status GrammarConstraint::Accept(TokenId id) {
  if (id < 0 || static_cast<size_t>(id) >= trie_->n_tokens())
    return Error("grammar: token id out of range");
  return matcher_.Accept(trie_->piece(id));
}

}  // namespace shimmy
