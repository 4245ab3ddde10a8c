#include "tokenizer/spm_tables.h"

#include <algorithm>
#include <cstring>

namespace shimmy {
namespace {

constexpr std::string_view kEscapedSpace = "\xE2\x96\x81";  // "▁"

}  // namespace

std::string UnescapeSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0;;) {
    const size_t at = text.find(kEscapedSpace, pos);
    out.append(text.substr(pos, at - pos));
    if (at == std::string_view::npos) break;
    out.push_back(' ');
    pos = at + kEscapedSpace.size();
  }
  return out;
}

PieceTable::PieceTable(const Vocab& vocab) {
  const size_t n = vocab.size();
  pieces_.Reserve(n, vocab.tokens.total_bytes());
  show_.resize(n, Show::kNever);
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<TokenId>(i);
    const std::string_view text = vocab.tokens[i];
    if (vocab.IsControlLike(id)) {
      pieces_.push_back(text);
      show_[i] = Show::kSpecialOnly;
      continue;
    }
    switch (vocab.type(id)) {
      case TokenType::kUserDefined:
        pieces_.push_back(text);
        show_[i] = Show::kAlways;
        break;
      case TokenType::kNormal:
        pieces_.push_back(UnescapeSpaces(text));
        show_[i] = Show::kAlways;
        break;
      case TokenType::kByte: {
        const int byte = ParseByteToken(text);
        // A byte token spelled some other way decodes as its text.
        const char c = static_cast<char>(byte);
        pieces_.push_back(byte < 0 ? text : std::string_view(&c, 1));
        show_[i] = Show::kAlways;
        break;
      }
      default:
        pieces_.push_back({});
        break;
    }
  }
}

std::string PieceTable::Piece(TokenId id, bool special) const {
  if (id < 0 || static_cast<size_t>(id) >= pieces_.size()) return {};
  const Show show = show_[static_cast<size_t>(id)];
  if (show == Show::kNever || (show == Show::kSpecialOnly && !special)) return {};
  return std::string(pieces_[static_cast<size_t>(id)]);
}

}  // namespace shimmy
