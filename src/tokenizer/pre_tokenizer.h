// Pre-tokenization for byte-level BPE: cutting text into words before
// merges run, as tokenizer.ggml.pre names it.
//
//   auto pre = PreTokenizer::ForName("llama-bpe");      // never fails
//   std::vector<TextSpan> words;
//   pre.Split(text, words);                             // text: valid UTF-8
//
// A pre-tokenizer is a sequence of regexes. Each one is applied to every
// piece the previous one produced, and both what it matches and the gaps
// between matches become pieces, so the pieces always tile the input. That
// is the reference implementation's semantics, and for the families whose
// Hugging Face definition is a sequence of "Isolated" splits it is also
// theirs.
//
// Regexes are the published ones (tokenizer.json / tiktoken), run by PCRE2
// in UTF mode with Unicode properties, with adjustments that keep ids equal
// to the reference: `\s`/`\S` mean exactly Unicode White_Space, and the
// case-insensitive contraction group `(?i:'s|...)` is spelled with ASCII
// classes (`'[sS]`), so 'ſ' (U+017F) or 'K' (U+212A) never match. Two digit
// grouping patterns whose lookaheads are quadratic in PCRE2 run as
// equivalent linear code (pre_tokenizer_digits.h).
//
// Immutable after construction; Split is safe from many threads at once
// (compiled patterns are shared, match state is per call). Copies share
// the compiled patterns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace shimmy {

// Bytes [begin, end) of the text that was split.
struct TextSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
  friend bool operator==(const TextSpan&, const TextSpan&) = default;
};

class PreTokenizer {
 public:
  // The pre-tokenizer for a tokenizer.ggml.pre value. Empty, "default" and
  // names this table does not know get the reference's default sequence.
  static PreTokenizer ForName(std::string_view name);

  // A pre-tokenizer from explicit regexes (PCRE2 syntax, \s adjusted as
  // above); fails when a pattern does not compile.
  static Result<PreTokenizer> FromRegexes(std::span<const std::string_view> regexes,
                                          bool ignore_merges = false);

  // Appends the words of `text` in order. They tile `text` exactly, none is
  // empty. `text` must be valid UTF-8 (see SanitizeUtf8) and shorter than
  // 4 GiB. Cost: one pass per regex, linear for ordinary text.
  void Split(std::string_view text, std::vector<TextSpan>& words) const;

  // Split for tests and tools: sanitizes, then returns the words as strings.
  std::vector<std::string> SplitToStrings(std::string_view text) const;

  // The family's merge rule: a word that is itself a vocabulary token is
  // emitted whole, without running merges (Llama 3, Tekken, ...).
  bool ignore_merges() const { return ignore_merges_; }
  // The family this resolved to, e.g. "llama3" for "llama-bpe".
  const std::string& family() const { return family_; }

 private:
  class Step;

  std::shared_ptr<const std::vector<Step>> steps_;
  bool ignore_merges_ = false;
  std::string family_;
};

// Returns `text` when it is valid UTF-8. Otherwise writes into `storage`
// the text as the reference decodes it (each byte that does not start a
// well-formed sequence becomes U+FFFD; overlong forms are re-encoded
// canonically; surrogates and values past U+10FFFF become U+FFFD) and
// returns a view of `storage`.
std::string_view SanitizeUtf8(std::string_view text, std::string& storage);

}  // namespace shimmy
