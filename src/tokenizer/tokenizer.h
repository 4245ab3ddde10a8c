// Text <-> token ids for any GGUF vocabulary.
//
//   auto tok = Tokenizer::FromGguf(file);            // Result<Tokenizer>
//   std::vector<TokenId> ids = tok->Encode("Hello", {.add_special = false});
//   std::string text = tok->Decode(ids);
//
// Encoding: text is first split on special tokens (control tokens only when
// parse_special; user-defined tokens always, as the reference does), each
// plain fragment goes to the model's Encoder, and BOS/EOS (CLS/SEP for
// WordPiece) are added when add_special and the vocabulary asks for them.
// Splitting gives longer special tokens priority over shorter ones anywhere
// in the text, and a token marked lstrip/rstrip (token_attr) also removes
// the ASCII whitespace beside it; it costs O(n · longest special token).
// A Tokenizer is immutable and thread-safe; copies share their tables.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/gguf_file.h"
#include "tokenizer/encoder.h"
#include "tokenizer/vocab.h"

namespace shimmy {

class ByteTrie;

struct EncodeOptions {
  bool add_special = true;    // BOS/EOS etc. as the vocabulary's flags say
  bool parse_special = false; // "<|im_end|>" in text becomes that token
};

class Tokenizer {
 public:
  static Result<Tokenizer> FromGguf(const gguf::GgufFile& file);
  static Result<Tokenizer> FromVocab(Vocab vocab);

  std::vector<TokenId> Encode(std::string_view text, const EncodeOptions& options = {}) const;

  // Bytes of one token (may be part of a UTF-8 character).
  std::string TokenToPiece(TokenId id, bool special = false) const;
  // Concatenated pieces. SentencePiece-style vocabularies drop the space the
  // encoder puts in front of the first word (at the start and after each
  // special token); WordPiece drops the first word's and glues punctuation
  // and contractions back on ("hello , world" -> "hello, world").
  std::string Decode(std::span<const TokenId> ids, bool special = false) const;

  const Vocab& vocab() const { return *vocab_; }

 private:
  friend class StreamDecoder;

  struct SpecialToken {
    std::string text;
    TokenId id;
    bool control;  // control/unknown: matched only with parse_special
    bool lstrip;
    bool rstrip;
  };
  // A piece of the input: plain text, or a special token (id != kNoToken).
  struct Fragment {
    std::string_view text;
    TokenId id = kNoToken;
  };

  std::vector<Fragment> SplitSpecial(std::string_view text, bool parse_special) const;
  // The piece of `id` as it reads in running text: `at_start` (true at the
  // start and after a special token) says whether a leading space the
  // encoder added should go; updated for the next piece.
  std::string PieceInText(TokenId id, bool special, bool& at_start) const;

  std::shared_ptr<const Vocab> vocab_;
  std::shared_ptr<const Encoder> encoder_;
  // Special tokens in the order they are split out: longest text first
  // (ties by id), so a longer token wins over a shorter one inside it.
  std::shared_ptr<const std::vector<SpecialToken>> specials_;
  // Special token text -> index in specials_: every special token, and
  // those split out even without parse_special.
  std::shared_ptr<const ByteTrie> all_specials_;
  std::shared_ptr<const ByteTrie> plain_specials_;
  // Drop the space the encoder put before the first word (see Decode).
  bool strip_leading_space_ = false;
  // ... also after each special token (SentencePiece prefixes every text
  // fragment that follows one).
  bool strip_after_special_ = false;
};

// Turns a stream of token ids into text without ever emitting part of a
// UTF-8 character: bytes of an unfinished character are held back until the
// rest arrives (or Flush is called).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool special = false)
      : tokenizer_(tokenizer), special_(special) {}

  // Text that became complete with `id`; may be empty.
  std::string Push(TokenId id);
  // Whatever is held back (invalid bytes become U+FFFD).
  std::string Flush();

 private:
  const Tokenizer& tokenizer_;
  bool special_;
  bool at_start_ = true;
  std::string pending_;
};

}  // namespace shimmy
