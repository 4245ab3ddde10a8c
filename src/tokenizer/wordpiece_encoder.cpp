// WordPiece ("bert" vocabularies), as the reference implementation does it.
//
// Normalisation (BERT's basic tokenizer): each character is replaced by the
// first code point of its NFD decomposition (dropping the accents of
// precomposed letters) and combining marks are dropped, when strip_accents;
// lowercased when lowercase; whitespace ends a word; control characters,
// U+0000 and U+FFFD vanish; punctuation, ASCII symbols and CJK ideographs
// become one-character words.
//
// Subwords: GGUF spells a word-initial piece with a leading "▁" and a
// continuation piece bare (the "##" of BERT's vocab.txt removed), so a word
// is "▁" + word, consumed left to right by the longest token that matches.
// A word with any position no token matches becomes the unknown token.
//
// Cost: O(n · m) trie steps, m = the longest piece that matches.
#include <algorithm>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "tokenizer/encoder.h"
#include "tokenizer/normalizer_unicode.h"
#include "tokenizer/spm_tables.h"
#include "tokenizer/unigram_trie.h"

namespace shimmy {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // "▁"

bool IsCjkIdeograph(char32_t cp) {
  // The CJK blocks BERT splits into single characters (with the upper
  // bound of Extension C/D as HF's implementation has it).
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

class WordPieceEncoder final : public Encoder {
 public:
  explicit WordPieceEncoder(const Vocab& vocab)
      : pieces_(vocab),
        unk_(vocab.unk),
        lowercase_(vocab.normalizer_lowercase),
        strip_accents_(vocab.normalizer_strip_accents) {
    // Every token, as the reference matches against the whole vocabulary;
    // the first id wins for a text given twice.
    std::vector<ByteTrie::Entry> entries;
    entries.reserve(vocab.size());
    for (size_t i = vocab.size(); i-- > 0;) {
      entries.push_back({vocab.tokens[i], static_cast<int32_t>(i)});
    }
    tokens_ = ByteTrie(entries);
  }

  void EncodeFragment(std::string_view text, const FragmentContext& ctx,
                      std::vector<TokenId>& out) const override;

  std::string TokenToPiece(TokenId id, bool special) const override {
    return pieces_.Piece(id, special);
  }

 private:
  // Appends the subword ids of `word` ("▁" + the normalised word).
  void EncodeWord(std::string_view word, std::vector<TokenId>& out) const;

  ByteTrie tokens_;
  PieceTable pieces_;
  TokenId unk_;
  bool lowercase_;
  bool strip_accents_;
};

void WordPieceEncoder::EncodeFragment(std::string_view text, const FragmentContext& /*ctx*/,
                                      std::vector<TokenId>& out) const {
  // `word` always starts with the word-start marker; a word is pending when
  // anything follows it.
  std::string word(kWordStart);
  auto flush = [&] {
    if (word.size() > kWordStart.size()) EncodeWord(word, out);
    word.resize(kWordStart.size());
  };
  for (size_t pos = 0; pos < text.size();) {
    char32_t cp = utf8::DecodeOne(text, pos);  // invalid bytes give U+FFFD
    if (strip_accents_) cp = unicode::NfdBase(cp);
    if (unicode::IsWhitespace(cp)) {
      flush();
      continue;
    }
    const unicode::MajorCategory cat = unicode::CategoryOf(cp);
    if (cp == 0 || cp == 0xFFFD || cat == unicode::MajorCategory::kOther) continue;
    if (strip_accents_ && cat == unicode::MajorCategory::kMark) continue;
    const char32_t lower = lowercase_ ? unicode::ToLower(cp) : cp;
    if (cat == unicode::MajorCategory::kPunctuation ||
        (cp < 0x7F && cat == unicode::MajorCategory::kSymbol) || IsCjkIdeograph(cp)) {
      flush();
      utf8::Append(word, lower);
      flush();
      continue;
    }
    utf8::Append(word, lower);
  }
  flush();
}

void WordPieceEncoder::EncodeWord(std::string_view word, std::vector<TokenId>& out) const {
  const size_t first = out.size();
  for (size_t i = 0; i < word.size();) {
    TokenId id = kNoToken;
    size_t len = 0;
    tokens_.ForEachPrefix(word.substr(i), [&](size_t n, int32_t token) {
      id = token;  // longest so far
      len = n;
    });
    if (id == kNoToken) {
      // No token covers this position: the whole word is unknown.
      out.resize(first);
      break;
    }
    out.push_back(id);
    i += len;
  }
  if (out.size() == first && unk_ != kNoToken) out.push_back(unk_);
}

}  // namespace

Result<std::unique_ptr<Encoder>> MakeWordPieceEncoder(const SharedVocab& shared) {
  const Vocab& vocab = *shared;
  if (vocab.size() == 0) return Error("WordPiece vocabulary has no tokens");
  if (vocab.types.size() != vocab.size()) return Error("token types do not match the vocabulary");
  return std::unique_ptr<Encoder>(std::make_unique<WordPieceEncoder>(vocab));
}

}  // namespace shimmy
