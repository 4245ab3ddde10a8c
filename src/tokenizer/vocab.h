// A tokenizer vocabulary as stored in GGUF metadata (tokenizer.ggml.*).
// Immutable once built; shared by every tokenizer session.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "gguf/gguf_file.h"

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

  std::vector<std::string> tokens;
  std::vector<float> scores;     // empty when the file has none
  std::vector<TokenType> types;  // kNormal when the file has none
  std::unordered_map<std::string, TokenId> token_to_id;
  // BPE merges: the pair (left, right) -> rank (lower merges first).
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

  // Every end-of-generation token (EOS, EOT, EOM and the vocabulary's
  // well-known end-of-turn markers).
  std::vector<TokenId> eog;

  size_t size() const { return tokens.size(); }
  TokenType type(TokenId id) const { return types[static_cast<size_t>(id)]; }
  bool valid(TokenId id) const { return id >= 0 && static_cast<size_t>(id) < tokens.size(); }
  bool IsEog(TokenId id) const;
  // Id of `text` as a whole token, or kNoToken.
  TokenId Find(const std::string& text) const;

  static Result<Vocab> FromGguf(const gguf::GgufFile& file);
};

}  // namespace shimmy
