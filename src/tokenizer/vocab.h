// A tokenizer vocabulary as stored in GGUF metadata (tokenizer.ggml.*).
// Immutable once built; shared by every tokenizer session.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "gguf/gguf_file.h"
#include "tokenizer/string_table.h"

namespace shimmy {

using TokenId = int32_t;
constexpr TokenId kNoToken = -1;

// tokenizer.ggml.token_type values.
enum class TokenType : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Per-token attributes the reference implementation derives at load time
// from token types, token texts and the model's name (GGUF has no field for
// them). Bits of Vocab::attrs.
namespace token_attr {
// Matched only when parsing special tokens and hidden when decoding without
// `special`: every control token, plus user-defined or normal tokens whose
// text marks end of generation or fill-in-the-middle (e.g. phi-3's "</s>").
constexpr uint8_t kControl = 1 << 0;
// A special-token match also swallows ASCII whitespace on its left / right.
constexpr uint8_t kLstrip = 1 << 1;
constexpr uint8_t kRstrip = 1 << 2;
}  // namespace token_attr

// tokenizer.ggml.model
enum class VocabKind {
  kNone,       // "none" / vocabulary without a tokenizer
  kSpm,        // "llama": SentencePiece BPE with byte fallback
  kBpe,        // "gpt2": byte-level BPE
  kWordPiece,  // "bert"
  kUnigram,    // "t5": SentencePiece Unigram
};

struct Vocab {
  VocabKind kind = VocabKind::kNone;
  std::string model;  // tokenizer.ggml.model as written
  std::string pre;    // tokenizer.ggml.pre ("" when absent)

  // Token texts, indexed: tokens.Find(text) is the first id spelled so.
  StringTable tokens;
  std::vector<float> scores;     // empty when the file has none
  std::vector<TokenType> types;  // kNormal when the file has none
  // token_attr bits per token (FromGguf sets kControl for control and
  // unknown tokens too); empty for vocabularies built by hand, which then
  // go by `types` alone.
  std::vector<uint8_t> attrs;
  // BPE merges: the pair (left, right) -> rank (lower merges first).
  // Emptied by Tokenizer::FromVocab once its encoder has indexed them.
  std::vector<std::pair<std::string, std::string>> merges;
  // Unigram normaliser data (tokenizer.ggml.precompiled_charsmap).
  std::vector<uint8_t> precompiled_charsmap;

  TokenId bos = kNoToken;
  TokenId eos = kNoToken;
  TokenId eot = kNoToken;
  TokenId eom = kNoToken;
  TokenId unk = kNoToken;
  TokenId pad = kNoToken;
  TokenId sep = kNoToken;
  TokenId cls = kNoToken;
  TokenId mask = kNoToken;
  TokenId linefeed = kNoToken;

  // Flags from metadata, with each model's defaults where absent.
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;
  bool add_space_prefix = false;
  bool remove_extra_whitespaces = false;
  // WordPiece normaliser (tokenizer.ggml.normalizer.*); strip_accents
  // follows lowercase unless the file says otherwise.
  bool normalizer_lowercase = true;
  bool normalizer_strip_accents = true;

  // Every end-of-generation token (EOS, EOT, EOM and the vocabulary's
  // well-known end-of-turn markers).
  std::vector<TokenId> eog;

  size_t size() const { return tokens.size(); }
  TokenType type(TokenId id) const { return types[static_cast<size_t>(id)]; }
  bool valid(TokenId id) const { return id >= 0 && static_cast<size_t>(id) < tokens.size(); }
  uint8_t attr(TokenId id) const { return attrs.empty() ? 0 : attrs[static_cast<size_t>(id)]; }
  // Control, unknown, or promoted to control (token_attr::kControl): such a
  // token is split out of text only with parse_special and decodes to ""
  // unless `special`.
  bool IsControlLike(TokenId id) const {
    if (!attrs.empty()) return (attrs[static_cast<size_t>(id)] & token_attr::kControl) != 0;
    const TokenType t = type(id);
    return t == TokenType::kControl || t == TokenType::kUnknown;
  }
  bool IsEog(TokenId id) const;
  // Id of `text` as a whole token, or kNoToken.
  TokenId Find(std::string_view text) const { return static_cast<TokenId>(tokens.Find(text)); }

  static Result<Vocab> FromGguf(const gguf::GgufFile& file);
};

// A byte token's text "<0xXX>" -> the byte; -1 when `text` is not spelled
// that way.
int ParseByteToken(std::string_view text);

}  // namespace shimmy
