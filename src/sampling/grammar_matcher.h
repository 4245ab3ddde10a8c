// Grammar-constrained decoding for one sequence: which bytes, and so which
// tokens, may come next, and whether the output is a complete sentence.
//
//   auto grammar = Grammar::Parse(text);                 // shared, immutable
//   auto trie = TokenTrie::Build(pieces);                // once per vocabulary
//   auto m = GrammarMatcher::Create(*grammar);           // one per sequence
//   for (;;) {
//     if (m->IsComplete() && !m->CanContinue()) break;   // nothing may follow
//     auto mask = m->AllowedTokens(*trie);               // Result<const TokenMask*>
//     (*mask)->Apply(logits);                            // others -> -inf
//     id = Sample(logits);                               // (EOG: caller's rule)
//     m->Accept(trie->piece(id));
//   }
//
// Cost: the automaton (grammar_automaton.h) is built lazily, so the first
// visit of a parse state costs a trie walk in which every trie node whose
// prefix the grammar still accepts is one table lookup (plus a closure for
// each transition never seen before); rejected prefixes prune their whole
// subtree. Masks are cached per state (up to GrammarLimits::
// max_mask_cache_bytes, then the cache is dropped), so revisiting a state,
// as inside a long string, costs nothing. Accept is one lookup per byte.
//
// Errors: hostile grammars that outgrow GrammarLimits give an Error from
// Create, Accept or AllowedTokens, never a crash; the matcher keeps its
// last good state.
// Thread-safety: none; one matcher per sequence. Movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "sampling/grammar.h"
#include "sampling/grammar_automaton.h"
#include "sampling/token_trie.h"

namespace shimmy {

// One bit per token id: may it come next?
class TokenMask {
 public:
  explicit TokenMask(size_t n_tokens) : n_tokens_(n_tokens), words_((n_tokens + 63) / 64, 0) {}

  bool allowed(int32_t id) const {
    const auto i = static_cast<size_t>(id);
    return id >= 0 && i < n_tokens_ && ((words_[i / 64] >> (i % 64)) & 1) != 0;
  }
  void allow(int32_t id) { words_[static_cast<size_t>(id) / 64] |= uint64_t{1} << (id % 64); }
  size_t n_tokens() const { return n_tokens_; }
  size_t count() const;
  bool none() const { return count() == 0; }
  size_t bytes() const { return words_.size() * sizeof(uint64_t); }

  // Sets every logit whose token is not allowed to -inf (ids at or past
  // n_tokens() included). One pass, skipping 64 allowed tokens at a time.
  void Apply(std::span<float> logits) const;

 private:
  size_t n_tokens_;
  std::vector<uint64_t> words_;
};

class GrammarMatcher {
 public:
  static Result<GrammarMatcher> Create(std::shared_ptr<const Grammar> grammar,
                                       GrammarLimits limits = {});

  // Advances over `bytes`. Error (state unchanged) if the grammar rejects
  // them or a limit is hit.
  Status Accept(std::string_view bytes);
  // Whether Accept(bytes) would succeed; never changes the state.
  Result<bool> CanAccept(std::string_view bytes);

  // The bytes accepted so far form a whole sentence of the grammar.
  bool IsComplete() const { return automaton_->accepting(state_); }
  // Some byte may still follow.
  bool CanContinue() const { return automaton_->can_continue(state_); }

  // Tokens of `trie` whose whole piece the grammar accepts from here. The
  // pointer stays valid until the next call on this matcher.
  Result<const TokenMask*> AllowedTokens(const TokenTrie& trie);

  // The shortest bytes after which the output is a complete sentence (""
  // when it already is), by breadth-first search over at most `max_bytes`
  // bytes and `max_states` states; nullopt when none is found within those
  // bounds. Lets a caller close the structure before its token budget runs
  // out. Cost: up to 256 steps per state visited.
  Result<std::optional<std::string>> ShortestCompletion(size_t max_bytes,
                                                        size_t max_states = 4096);
  // Back to the start, keeping the automaton and mask caches.
  void Reset() { state_ = automaton_->start(); }

 private:
  GrammarMatcher(std::unique_ptr<GrammarAutomaton> automaton, GrammarLimits limits);

  std::unique_ptr<GrammarAutomaton> automaton_;
  GrammarLimits limits_;
  int32_t state_ = 0;

  uint64_t cached_trie_ = 0;  // serial of the trie the masks belong to
  std::unordered_map<int32_t, std::unique_ptr<TokenMask>> masks_;
  size_t mask_bytes_ = 0;
  std::vector<int32_t> walk_;            // state per trie depth during a walk
  std::unique_ptr<TokenMask> uncached_;  // the last mask when caching is off
};

}  // namespace shimmy
