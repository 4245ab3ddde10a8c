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

#include <climits>
#include <memory>
#include <string>
#include <utility>
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
  //
  // `tokens_left` (this one included) is the sequence's budget. When it
  // gets close to the length of the shortest completion, only tokens that
  // spell a prefix of that completion stay allowed, so output that may not
  // run on forever (json_object, schemas) ends as a whole sentence instead
  // of being cut at max_tokens. This holds unless one token opens more than
  // kCloseSlack bytes of structure right before the window.
  Status Apply(std::span<float> logits, int tokens_left = INT32_MAX);
  // Advances over the piece of `id` (which Apply allowed).
  Status Accept(TokenId id);
  // The output is complete and the grammar allows nothing more.
  bool Finished() const {
    return matcher_.IsComplete() && (!matcher_.CanContinue() || closed_);
  }
  bool Complete() const { return matcher_.IsComplete(); }

 private:
  GrammarConstraint(GrammarMatcher matcher, std::shared_ptr<const TokenTrie> trie,
                    std::vector<TokenId> ends)
      : matcher_(std::move(matcher)), trie_(std::move(trie)), ends_(std::move(ends)) {}

  GrammarMatcher matcher_;
  std::shared_ptr<const TokenTrie> trie_;
  std::vector<TokenId> ends_;
  // Start closing when the shortest completion is within this many bytes
  // of the budget: one token rarely opens more structure than that.
  static constexpr int kCloseSlack = 16;
  // Closing never searches completions longer than this (deeper nesting
  // than a budget this close can close is left to max_tokens).
  static constexpr int kCloseWindow = 96;

  // Masks all but the tokens that spell a prefix of `completion`.
  bool KeepPrefixTokens(std::span<float> logits, const std::string& completion);

  std::vector<float> saved_;  // end tokens' logits across the mask
  std::vector<std::pair<TokenId, float>> kept_;
  bool closed_ = false;  // closing reached a complete sentence: stop here
};

}  // namespace shimmy
