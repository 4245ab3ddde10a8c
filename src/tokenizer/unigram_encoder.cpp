// SentencePiece Unigram ("t5" vocabularies: T5, XLM-R based embedders such
// as nomic-bert-moe), as the reference implementation does it.
//
// Normalisation, per fragment: the input is rewritten left to right by the
// precompiled charsmap rules (longest source first); a prefix of a
// user-defined token passes through untouched; bytes that are not UTF-8
// become U+FFFD. Then spaces: with remove_extra_whitespaces every run of
// spaces collapses to one "▁" before the next word (none at the end);
// otherwise each space is a "▁" and add_space_prefix puts one "▁" before the
// first word.
//
// Segmentation: Viterbi over byte positions. best[i] is the highest total
// score of a segmentation of the first i bytes; from each character
// boundary every vocabulary piece (normal, user-defined at score 0, unused)
// starting there is tried via a trie. A character no single piece covers may
// be the unknown token, scored min(normal scores) - 10. Adjacent unknown
// tokens in the result merge into one.
//
// Cost: O(n · L) trie steps, L = longest piece; O(n) memory per call.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "tokenizer/encoder.h"
#include "tokenizer/normalizer_charsmap.h"
#include "tokenizer/spm_tables.h"
#include "tokenizer/unigram_trie.h"

namespace shimmy {
namespace {

constexpr std::string_view kEscapedSpace = "\xE2\x96\x81";  // "▁"
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";   // U+FFFD
constexpr float kUnknownPenalty = 10.0f;

// Bytes of the UTF-8 sequence that `lead` starts, from its high bits alone
// (as the reference steps through normalised text).
size_t CharLength(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Length of the well-formed UTF-8 sequence at text[0], 0 if there is none.
// Lenient like the reference: overlong forms and surrogates pass.
size_t ValidCharLength(std::string_view text) {
  const auto lead = static_cast<uint8_t>(text[0]);
  size_t n;
  if (lead < 0x80) return 1;
  if (lead < 0xC0) return 0;
  if (lead < 0xE0) {
    n = 2;
  } else if (lead < 0xF0) {
    n = 3;
  } else if (lead < 0xF8) {
    n = 4;
  } else {
    return 0;
  }
  if (text.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

class UnigramEncoder final : public Encoder {
 public:
  UnigramEncoder(const Vocab& vocab, CharsMap charsmap)
      : charsmap_(std::move(charsmap)),
        pieces_(vocab),
        unk_(vocab.unk),
        add_space_prefix_(vocab.add_space_prefix),
        remove_extra_whitespaces_(vocab.remove_extra_whitespaces) {
    const size_t n = vocab.size();
    scores_.assign(n, 0.0f);
    std::vector<ByteTrie::Entry> pieces;
    std::vector<ByteTrie::Entry> user_defined;
    float min_score = std::numeric_limits<float>::max();
    for (size_t i = 0; i < n; ++i) {
      const TokenType type = vocab.types[i];
      const auto id = static_cast<TokenId>(i);
      const float score = vocab.scores.size() == n ? vocab.scores[i] : 0.0f;
      if (type == TokenType::kNormal) min_score = std::min(min_score, score);
      // User-defined pieces keep score 0, so they beat any segmentation of
      // their text (normal scores are log probabilities, below 0).
      if (type == TokenType::kNormal || type == TokenType::kUnused) scores_[i] = score;
      if (type == TokenType::kNormal || type == TokenType::kUserDefined ||
          type == TokenType::kUnused) {
        pieces.push_back({vocab.tokens[i], id});
      }
      if (type == TokenType::kUserDefined) user_defined.push_back({vocab.tokens[i], id});
    }
    if (min_score == std::numeric_limits<float>::max()) min_score = 0.0f;
    // Computed in float, as the reference does.
    unknown_score_ = static_cast<double>(min_score - kUnknownPenalty);
    pieces_trie_ = ByteTrie(pieces);
    user_defined_trie_ = ByteTrie(user_defined);
  }

  void EncodeFragment(std::string_view text, const FragmentContext& ctx,
                      std::vector<TokenId>& out) const override;

  std::string TokenToPiece(TokenId id, bool special) const override {
    return pieces_.Piece(id, special);
  }

 private:
  std::string Normalize(std::string_view text) const;

  CharsMap charsmap_;
  PieceTable pieces_;
  ByteTrie pieces_trie_;
  ByteTrie user_defined_trie_;
  std::vector<float> scores_;
  double unknown_score_ = 0.0;
  TokenId unk_;
  bool add_space_prefix_;
  bool remove_extra_whitespaces_;
};

std::string UnigramEncoder::Normalize(std::string_view text) const {
  std::string out;
  out.reserve(text.size() * 3 / 2 + 4);
  bool in_word = false;
  bool prefixed = false;
  for (size_t pos = 0; pos < text.size();) {
    const std::string_view rest = text.substr(pos);
    std::string_view piece;
    // The reference lets any prefix of a user-defined token's text (not
    // only the whole token) through unnormalised.
    if (const size_t n = user_defined_trie_.PathLength(rest); n > 0) {
      piece = rest.substr(0, n);
      pos += n;
    } else if (const CharsMap::Match m = charsmap_.LongestPrefix(rest); m.consumed > 0) {
      piece = m.replacement;
      pos += m.consumed;
    } else if (const size_t n = ValidCharLength(rest); n > 0) {
      piece = rest.substr(0, n);
      pos += n;
    } else {
      piece = kReplacement;
      pos += 1;
    }
    for (char c : piece) {
      if (c == ' ') {
        in_word = false;
        if (!remove_extra_whitespaces_) out.append(kEscapedSpace);
        continue;
      }
      if (!in_word) {
        in_word = true;
        if (remove_extra_whitespaces_ || (add_space_prefix_ && !prefixed)) {
          out.append(kEscapedSpace);
          prefixed = true;
        }
      }
      out.push_back(c);
    }
  }
  return out;
}

void UnigramEncoder::EncodeFragment(std::string_view text, const FragmentContext& /*ctx*/,
                                    std::vector<TokenId>& out) const {
  const std::string s = Normalize(text);
  const size_t n = s.size();
  if (n == 0) return;

  // best[i]: the best segmentation of s[0, i) ends with `id`, which starts
  // at `start`. kNoToken with a finite score stands for the unknown token
  // (kept apart from unk_ so a vocabulary without one still segments).
  struct Best {
    double score;
    size_t start;
    TokenId id;
    bool unknown;
  };
  std::vector<Best> best(n + 1, {-std::numeric_limits<double>::max(), 0, kNoToken, true});
  best[0].score = 0.0;
  for (size_t pos = 0; pos < n;) {
    const size_t char_len = std::min(CharLength(static_cast<uint8_t>(s[pos])), n - pos);
    const double base = best[pos].score;
    bool char_covered = false;
    pieces_trie_.ForEachPrefix(std::string_view(s).substr(pos), [&](size_t len, int32_t id) {
      if (len == char_len) char_covered = true;
      const double score = base + static_cast<double>(scores_[static_cast<size_t>(id)]);
      Best& b = best[pos + len];
      if (score > b.score) b = {score, pos, id, false};
    });
    if (!char_covered) {
      const double score = base + unknown_score_;
      Best& b = best[pos + char_len];
      if (score > b.score) b = {score, pos, kNoToken, true};
    }
    pos += char_len;
  }

  // Walk back from the end; consecutive unknowns become one.
  const size_t first = out.size();
  bool prev_unknown = false;
  for (size_t end = n;;) {
    const Best& b = best[end];
    const bool unknown = b.unknown || b.id == unk_;
    if (!(prev_unknown && unknown)) {
      const TokenId id = b.unknown ? unk_ : b.id;
      if (id != kNoToken) out.push_back(id);
    }
    prev_unknown = unknown;
    if (b.start == 0) break;
    end = b.start;
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

}  // namespace

Result<std::unique_ptr<Encoder>> MakeUnigramEncoder(const SharedVocab& shared) {
  const Vocab& vocab = *shared;
  if (vocab.size() == 0) return Error("Unigram vocabulary has no tokens");
  if (vocab.types.size() != vocab.size()) return Error("token types do not match the vocabulary");
  auto charsmap = CharsMap::Parse(vocab.precompiled_charsmap);
  if (!charsmap) return charsmap.error();
  return std::unique_ptr<Encoder>(
      std::make_unique<UnigramEncoder>(vocab, std::move(charsmap).value()));
}

}  // namespace shimmy
