#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "base/utf8.h"

namespace shimmy {

Result<Tokenizer> Tokenizer::FromGguf(const gguf::GgufFile& file) {
  auto vocab = Vocab::FromGguf(file);
  if (!vocab) return vocab.error();
  auto tok = FromVocab(std::move(vocab).value());
  if (!tok) return tok.error().Context(file.path());
  return tok;
}

Result<Tokenizer> Tokenizer::FromVocab(Vocab vocab) {
  Result<std::unique_ptr<Encoder>> encoder = Error("vocabulary has no tokenizer");
  switch (vocab.kind) {
    case VocabKind::kSpm: encoder = MakeSpmEncoder(vocab); break;
    case VocabKind::kBpe: encoder = MakeBpeEncoder(vocab); break;
    case VocabKind::kWordPiece: encoder = MakeWordPieceEncoder(vocab); break;
    case VocabKind::kUnigram: encoder = MakeUnigramEncoder(vocab); break;
    case VocabKind::kNone: break;
  }
  if (!encoder) return encoder.error();

  auto specials = std::make_shared<std::vector<SpecialToken>>();
  for (size_t i = 0; i < vocab.size(); ++i) {
    const TokenType type = vocab.types[i];
    if (type != TokenType::kControl && type != TokenType::kUserDefined &&
        type != TokenType::kUnknown) {
      continue;
    }
    if (vocab.tokens[i].empty()) continue;
    specials->push_back({vocab.tokens[i], static_cast<TokenId>(i), type != TokenType::kUserDefined});
  }
  std::stable_sort(specials->begin(), specials->end(),
                   [](const SpecialToken& a, const SpecialToken& b) {
                     return a.text.size() > b.text.size();
                   });

  Tokenizer tok;
  tok.vocab_ = std::make_shared<const Vocab>(std::move(vocab));
  tok.encoder_ = std::move(encoder).value();
  tok.specials_ = std::move(specials);
  return tok;
}

namespace {

// A piece of the input: either plain text or an already-known token.
struct Fragment {
  std::string_view text;
  TokenId id = kNoToken;
};

}  // namespace

std::vector<TokenId> Tokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  const Vocab& v = *vocab_;

  // Split on special tokens, longest first: each token splits every text
  // fragment that contains it, so a longer token always wins over a shorter
  // one inside it.
  std::vector<Fragment> fragments{{text, kNoToken}};
  for (const SpecialToken& special : *specials_) {
    if (special.control && !options.parse_special) continue;
    std::vector<Fragment> next;
    bool changed = false;
    for (const Fragment& f : fragments) {
      if (f.id != kNoToken || f.text.find(special.text) == std::string_view::npos) {
        next.push_back(f);
        continue;
      }
      changed = true;
      std::string_view rest = f.text;
      for (size_t at; (at = rest.find(special.text)) != std::string_view::npos;) {
        if (at > 0) next.push_back({rest.substr(0, at), kNoToken});
        next.push_back({{}, special.id});
        rest.remove_prefix(at + special.text.size());
      }
      if (!rest.empty()) next.push_back({rest, kNoToken});
    }
    if (changed) fragments = std::move(next);
  }

  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  if (options.add_special && v.add_bos && v.bos != kNoToken) out.push_back(v.bos);
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
    if (v.add_sep && v.sep != kNoToken) out.push_back(v.sep);
    if (v.add_eos && v.eos != kNoToken) out.push_back(v.eos);
  }
  return out;
}

std::string Tokenizer::TokenToPiece(TokenId id, bool special) const {
  if (!vocab_->valid(id)) return {};
  return encoder_->TokenToPiece(id, special);
}

std::string Tokenizer::Decode(std::span<const TokenId> ids, bool special) const {
  std::string out;
  bool first_text = true;
  for (TokenId id : ids) {
    std::string piece = TokenToPiece(id, special);
    if (piece.empty()) continue;
    const bool is_text = vocab_->valid(id) && vocab_->type(id) == TokenType::kNormal;
    if (first_text && is_text && vocab_->add_space_prefix && piece.front() == ' ') {
      piece.erase(0, 1);
    }
    if (is_text) first_text = false;
    out += piece;
  }
  return out;
}

std::string StreamDecoder::Push(TokenId id) {
  std::string piece = tokenizer_.TokenToPiece(id, special_);
  const Vocab& v = tokenizer_.vocab();
  const bool is_text = v.valid(id) && v.type(id) != TokenType::kControl;
  if (first_ && is_text && !piece.empty()) {
    if (v.add_space_prefix && piece.front() == ' ') piece.erase(0, 1);
    first_ = false;
  }
  pending_ += piece;

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
