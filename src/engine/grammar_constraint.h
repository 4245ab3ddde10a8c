// A grammar applied to one sequence's logits, in the vocabulary of an
// Instance: the bridge between sampling/grammar_matcher.h (bytes) and the
// tokenizer (ids). Generate uses it when GenerateRequest::grammar is set.
//
//   auto c = GrammarConstraint::Create(inst, grammar, end_tokens);
//   for (;;) {
//     if (c->Finished()) break;        // complete, nothing may follow
//     c->Apply(logits);                // disallowed tokens -> -inf
//     id = sample(logits);
//     if (is_end(id)) break;
//     c->Accept(id);
//   }
//
// End tokens (EOG, a chat template's end-of-turn) are allowed exactly when
// the output so far is a complete sentence. Control tokens are never allowed
// otherwise. Tokens are matched by their raw pieces (Tokenizer::TokenToPiece),
// so a leading space that the decoder drops from the first word is seen by
// the grammar; JSON grammars allow one.
// Cost per step: see GrammarMatcher; plus one pass over the logits.
// Not thread-safe; one per sequence.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "engine/instance.h"
#include "sampling/grammar_matcher.h"

namespace shimmy {

class GrammarConstraint {
 public:
  static Result<GrammarConstraint> Create(const Instance& inst,
                                          std::shared_ptr<const Grammar> grammar,
                                          std::vector<TokenId> end_tokens);

  // Sets the logits of tokens the grammar rejects here to -inf. Error when
  // no token at all is left (the vocabulary cannot spell what must follow).
  Status Apply(std::span<float> logits);
  // Advances over the piece of `id` (which Apply allowed).
  Status Accept(TokenId id);
  // The output is complete and the grammar allows nothing more.
  bool Finished() const { return matcher_.IsComplete() && !matcher_.CanContinue(); }
  bool Complete() const { return matcher_.IsComplete(); }

 private:
  GrammarConstraint(GrammarMatcher matcher, std::shared_ptr<const TokenTrie> trie,
                    std::vector<TokenId> ends)
      : matcher_(std::move(matcher)), trie_(std::move(trie)), ends_(std::move(ends)) {}

  GrammarMatcher matcher_;
  std::shared_ptr<const TokenTrie> trie_;
  std::vector<TokenId> ends_;
  std::vector<float> saved_;  // end tokens' logits across the mask
};

}  // namespace shimmy
