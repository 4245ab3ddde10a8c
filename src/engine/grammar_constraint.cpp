#include "engine/grammar_constraint.h"

#include <cmath>

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

Status GrammarConstraint::Apply(std::span<float> logits) {
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
