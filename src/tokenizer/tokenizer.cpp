#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "base/utf8.h"
#include "tokenizer/unigram_trie.h"

namespace shimmy {
namespace {

// The reference strips with C isspace in the "C" locale.
bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// BERT-style decoding glues punctuation and contractions back on:
// " ." -> ".", " ' " -> "'", " 's" / " 'm" / " 're" / " 've" -> "'s" ...
std::string CleanUpWordPieceSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ' && i + 1 < s.size()) {
      const char next = s[i + 1];
      if (next == '?' || next == '!' || next == '.' || next == ',') continue;
      if (next == '\'') {
        if (i + 2 < s.size() && s[i + 2] == ' ') {
          out.push_back('\'');
          i += 2;
          continue;
        }
        const std::string_view after = s.substr(i + 2);
        if (after.starts_with("s") || after.starts_with("m") || after.starts_with("re") ||
            after.starts_with("ve")) {
          continue;
        }
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

Result<Tokenizer> Tokenizer::FromGguf(const gguf::GgufFile& file) {
  auto vocab = Vocab::FromGguf(file);
  if (!vocab) return vocab.error();
  auto tok = FromVocab(std::move(vocab).value());
  if (!tok) return tok.error().Context(file.path());
  return tok;
}

Result<Tokenizer> Tokenizer::FromVocab(Vocab input) {
  if (input.types.size() != input.size()) return Error("token types do not match the vocabulary");
  if (!input.attrs.empty() && input.attrs.size() != input.size()) {
    return Error("token attributes do not match the vocabulary");
  }
  // Shared with the encoder, which looks token texts up in its index.
  auto shared = std::make_shared<Vocab>(std::move(input));
  Vocab& vocab = *shared;
  Result<std::unique_ptr<Encoder>> encoder = Error("vocabulary has no tokenizer");
  switch (vocab.kind) {
    case VocabKind::kSpm: encoder = MakeSpmEncoder(shared); break;
    case VocabKind::kBpe: encoder = MakeBpeEncoder(shared); break;
    case VocabKind::kWordPiece: encoder = MakeWordPieceEncoder(shared); break;
    case VocabKind::kUnigram: encoder = MakeUnigramEncoder(shared); break;
    case VocabKind::kNone: break;
  }
  if (!encoder) return encoder.error();
  // The encoder has its own merge table; the strings would only take memory
  // (18 MB for Llama 3's 280k merges).
  vocab.merges.clear();
  vocab.merges.shrink_to_fit();

  auto specials = std::make_shared<std::vector<SpecialToken>>();
  for (size_t i = 0; i < vocab.size(); ++i) {
    const auto id = static_cast<TokenId>(i);
    const TokenType type = vocab.types[i];
    const bool control = vocab.IsControlLike(id);
    if (!control && type != TokenType::kControl && type != TokenType::kUserDefined &&
        type != TokenType::kUnknown) {
      continue;
    }
    if (vocab.tokens[i].empty()) continue;
    const uint8_t attr = vocab.attr(id);
    specials->push_back({std::string(vocab.tokens[i]), id, control, (attr & token_attr::kLstrip) != 0,
                         (attr & token_attr::kRstrip) != 0});
  }
  std::stable_sort(specials->begin(), specials->end(),
                   [](const SpecialToken& a, const SpecialToken& b) {
                     return a.text.size() > b.text.size();
                   });
  std::vector<ByteTrie::Entry> all;
  std::vector<ByteTrie::Entry> plain;
  for (size_t rank = 0; rank < specials->size(); ++rank) {
    const SpecialToken& s = (*specials)[rank];
    all.push_back({s.text, static_cast<int32_t>(rank)});
    if (!s.control) plain.push_back({s.text, static_cast<int32_t>(rank)});
  }

  Tokenizer tok;
  tok.all_specials_ = std::make_shared<const ByteTrie>(all);
  tok.plain_specials_ = std::make_shared<const ByteTrie>(plain);
  tok.strip_leading_space_ =
      vocab.kind == VocabKind::kWordPiece ||
      ((vocab.kind == VocabKind::kSpm || vocab.kind == VocabKind::kUnigram) &&
       vocab.add_space_prefix);
  tok.strip_after_special_ = tok.strip_leading_space_ && vocab.kind != VocabKind::kWordPiece;
  tok.vocab_ = std::move(shared);
  tok.encoder_ = std::move(encoder).value();
  tok.specials_ = std::move(specials);
  return tok;
}

// The reference splits on one special token at a time, longest first, each
// over the fragments the previous ones left, taking its occurrences left to
// right without overlap. Doing that literally costs O(n · n_specials); this
// finds every candidate occurrence in one pass over the text and replays the
// same decisions on a per-byte state map.
std::vector<Tokenizer::Fragment> Tokenizer::SplitSpecial(std::string_view text,
                                                         bool parse_special) const {
  const ByteTrie& trie = parse_special ? *all_specials_ : *plain_specials_;
  if (trie.empty() || text.empty()) return {{text, kNoToken}};

  struct Occurrence {
    uint32_t rank;
    uint32_t pos;
  };
  std::vector<Occurrence> found;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    trie.ForEachPrefix(text.substr(pos), [&](size_t, int32_t rank) {
      found.push_back({static_cast<uint32_t>(rank), static_cast<uint32_t>(pos)});
    });
  }
  if (found.empty()) return {{text, kNoToken}};
  std::sort(found.begin(), found.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos;
  });

  enum : uint8_t { kFree, kTaken };  // kTaken: a special token or stripped space
  std::vector<uint8_t> state(text.size(), kFree);
  struct Match {
    size_t pos;
    size_t len;
    TokenId id;
  };
  std::vector<Match> matches;
  for (size_t i = 0; i < found.size();) {
    const SpecialToken& special = (*specials_)[found[i].rank];
    const size_t len = special.text.size();
    size_t resume = 0;  // the next search starts here (after the last match)
    for (; i < found.size() && &(*specials_)[found[i].rank] == &special; ++i) {
      const size_t pos = found[i].pos;
      if (pos < resume) continue;
      const auto first = state.begin() + static_cast<std::ptrdiff_t>(pos);
      if (std::find(first, first + static_cast<std::ptrdiff_t>(len), kTaken) !=
          first + static_cast<std::ptrdiff_t>(len)) {
        continue;  // overlaps a token already split out
      }
      std::fill(first, first + static_cast<std::ptrdiff_t>(len), kTaken);
      matches.push_back({pos, len, special.id});
      if (special.lstrip) {
        for (size_t j = pos; j > 0 && state[j - 1] == kFree && IsAsciiSpace(text[j - 1]); --j) {
          state[j - 1] = kTaken;
        }
      }
      size_t end = pos + len;
      if (special.rstrip) {
        for (; end < text.size() && state[end] == kFree && IsAsciiSpace(text[end]); ++end) {
          state[end] = kTaken;
        }
      }
      resume = end;
    }
  }

  std::sort(matches.begin(), matches.end(),
            [](const Match& a, const Match& b) { return a.pos < b.pos; });
  std::vector<Fragment> fragments;
  // Text between tokens, less the whitespace they stripped (which sits at
  // the ends of the gap, so one free run remains at most).
  auto add_text = [&](size_t from, size_t to) {
    while (from < to && state[from] != kFree) ++from;
    while (to > from && state[to - 1] != kFree) --to;
    if (from < to) fragments.push_back({text.substr(from, to - from), kNoToken});
  };
  size_t cursor = 0;
  for (const Match& m : matches) {
    add_text(cursor, m.pos);
    fragments.push_back({{}, m.id});
    cursor = m.pos + m.len;
  }
  add_text(cursor, text.size());
  return fragments;
}

std::vector<TokenId> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  const Vocab& v = *vocab_;
  const std::vector<Fragment> fragments = SplitSpecial(text, options.parse_special);

  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  // WordPiece always frames the text with CLS ... SEP; the others follow
  // the vocabulary's add_bos / add_eos (and add_sep for BPE).
  const bool wordpiece = v.kind == VocabKind::kWordPiece;
  if (options.add_special && (v.add_bos || wordpiece) && v.bos != kNoToken) out.push_back(v.bos);
  FragmentContext ctx;
  ctx.after_special = true;
  ctx.first = out.empty();
  for (const Fragment& f : fragments) {
    if (f.id != kNoToken) {
      out.push_back(f.id);
      ctx.after_special = true;
      ctx.first = false;
      continue;
    }
    if (f.text.empty()) continue;
    encoder_->EncodeFragment(f.text, ctx, out);
    ctx.after_special = false;
    ctx.first = false;
  }
  if (options.add_special) {
    const bool sep = wordpiece || (v.kind == VocabKind::kBpe && v.add_sep);
    if (sep && v.sep != kNoToken) out.push_back(v.sep);
    if (!wordpiece && v.add_eos && v.eos != kNoToken) out.push_back(v.eos);
  }
  return out;
}

std::string Tokenizer::TokenToPiece(TokenId id, bool special) const {
  if (!vocab_->valid(id)) return {};
  // Tokens the reference promotes to control (e.g. a user-defined "</s>")
  // hide like control tokens, whatever the encoder's own rules.
  if (!special && vocab_->IsControlLike(id)) return {};
  return encoder_->TokenToPiece(id, special);
}

std::string Tokenizer::PieceInText(TokenId id, bool special, bool& at_start) const {
  if (!vocab_->valid(id)) return {};
  std::string piece = TokenToPiece(id, special);
  const TokenType type = vocab_->type(id);
  if (vocab_->IsControlLike(id) || type == TokenType::kUserDefined) {
    if (strip_after_special_) at_start = true;
    return piece;
  }
  if (piece.empty()) return piece;
  if (at_start && strip_leading_space_ && piece.front() == ' ') piece.erase(0, 1);
  at_start = false;
  return piece;
}

std::string Tokenizer::Decode(std::span<const TokenId> ids, bool special) const {
  std::string out;
  bool at_start = true;
  for (TokenId id : ids) out += PieceInText(id, special, at_start);
  if (vocab_->kind == VocabKind::kWordPiece) return CleanUpWordPieceSpaces(out);
  return out;
}

std::string StreamDecoder::Push(TokenId id) {
  pending_ += tokenizer_.PieceInText(id, special_, at_start_);

  // Emit every complete character; replace invalid bytes; hold an
  // unfinished character at the end.
  std::string out;
  size_t pos = 0;
  const size_t hold = utf8::IncompleteTail(pending_);
  const size_t limit = pending_.size() - hold;
  std::string_view view(pending_.data(), limit);
  while (pos < limit) {
    const size_t start = pos;
    const char32_t cp = utf8::DecodeOne(view, pos);
    if (cp == 0xFFFD && !(pos - start == 3 && view.substr(start, 3) == "\xEF\xBF\xBD")) {
      utf8::Append(out, 0xFFFD);
    } else {
      out.append(view.substr(start, pos - start));
    }
  }
  pending_.erase(0, limit);
  return out;
}

std::string StreamDecoder::Flush() {
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    const size_t start = pos;
    const char32_t cp = utf8::DecodeOne(pending_, pos);
    if (cp == 0xFFFD && pos - start != 3) {
      utf8::Append(out, 0xFFFD);
    } else {
      out.append(pending_, start, pos - start);
    }
  }
  pending_.clear();
  return out;
}

}  // namespace shimmy
