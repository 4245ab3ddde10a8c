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
  // encoder put in front of the first word.
  std::string Decode(std::span<const TokenId> ids, bool special = false) const;

  const Vocab& vocab() const { return *vocab_; }

 private:
  struct SpecialToken {
    std::string text;
    TokenId id;
    bool control;  // control/unknown: matched only with parse_special
  };

  std::shared_ptr<const Vocab> vocab_;
  std::shared_ptr<const Encoder> encoder_;
  // Special tokens, longest text first, so the longest match wins.
  std::shared_ptr<const std::vector<SpecialToken>> specials_;
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
  bool first_ = true;
  std::string pending_;
};

}  // namespace shimmy
