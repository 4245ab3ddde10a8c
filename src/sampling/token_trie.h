// The byte strings of a vocabulary's tokens as a trie, built once per
// vocabulary and walked against a grammar state to find the tokens that may
// come next (GrammarMatcher::AllowedTokens).
//
//   std::vector<std::string> pieces(n_vocab);   // pieces[id]: the token's bytes
//   auto trie = TokenTrie::Build(std::move(pieces));
//
// An empty piece marks a token the grammar never allows (control tokens,
// end-of-generation tokens: the caller decides about those).
//
// Layout: nodes in depth-first preorder in flat arrays (byte, depth, end of
// subtree, first token), so a walk is one forward loop that skips a rejected
// subtree by jumping to its end. About 11 bytes per node plus the pieces.
// Immutable after Build: thread-safe, shared by every sequence of a model.
// Build costs O(total piece bytes · log n_tokens) (a sort).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shimmy {

class TokenTrie {
 public:
  static constexpr size_t kMaxPieceBytes = 65535;  // longer pieces are never allowed

  static std::shared_ptr<const TokenTrie> Build(std::vector<std::string> pieces);

  size_t n_tokens() const { return pieces_.size(); }
  size_t n_nodes() const { return bytes_.size(); }
  size_t max_depth() const { return max_depth_; }
  const std::string& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  // Distinguishes tries for caches keyed by trie (never reused in a process).
  uint64_t serial() const { return serial_; }

  // Node i (preorder, the root is implicit): its byte, depth (1 = a child
  // of the root), the index just past its subtree, and the tokens whose
  // piece ends exactly here: token_ids()[token_begin(i) .. token_begin(i + 1)).
  const uint8_t* bytes() const { return bytes_.data(); }
  const uint16_t* depths() const { return depths_.data(); }
  const uint32_t* subtree_ends() const { return ends_.data(); }
  const uint32_t* token_begins() const { return token_begin_.data(); }  // n_nodes + 1
  const int32_t* token_ids() const { return ids_.data(); }

 private:
  TokenTrie() = default;

  std::vector<std::string> pieces_;
  std::vector<uint8_t> bytes_;
  std::vector<uint16_t> depths_;
  std::vector<uint32_t> ends_;
  std::vector<uint32_t> token_begin_;
  std::vector<int32_t> ids_;
  size_t max_depth_ = 0;
  uint64_t serial_ = 0;
};

}  // namespace shimmy
