#include "tokenizer/spm_tables.h"

#include <algorithm>
#include <cstring>

namespace shimmy {
namespace {

constexpr std::string_view kEscapedSpace = "\xE2\x96\x81";  // "▁"

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

uint64_t TokenMap::Hash(std::string_view s) {
  // 8 bytes at a time with a multiply-xorshift mix: token texts are short,
  // and this is far cheaper than a general-purpose string hash.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = s.size() * kMul;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  h *= kMul;
  return h ^ (h >> 32);
}

TokenMap::TokenMap(const Vocab& vocab) {
  const size_t n = vocab.size();
  offsets_.reserve(n + 1);
  offsets_.push_back(0);
  for (const std::string& t : vocab.tokens) {
    texts_ += t;
    offsets_.push_back(static_cast<uint32_t>(texts_.size()));
    max_length_ = std::max(max_length_, t.size());
  }
  size_t capacity = 16;
  while (capacity < 2 * n) capacity *= 2;
  slots_.assign(capacity, Slot{0, -1});
  mask_ = capacity - 1;
  for (size_t id = 0; id < n; ++id) {
    const std::string_view text = Text(static_cast<TokenId>(id));
    const uint64_t h = Hash(text);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = {tag, static_cast<TokenId>(id)};
        break;
      }
      if (slot.tag == tag && Text(slot.id) == text) break;  // the first id wins
    }
  }
}

int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = HexDigit(text[3]);
  const int lo = HexDigit(text[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

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
  pieces_.resize(n);
  show_.resize(n, Show::kNever);
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<TokenId>(i);
    const std::string& text = vocab.tokens[i];
    if (vocab.IsControlLike(id)) {
      pieces_[i] = text;
      show_[i] = Show::kSpecialOnly;
      continue;
    }
    switch (vocab.type(id)) {
      case TokenType::kUserDefined:
        pieces_[i] = text;
        show_[i] = Show::kAlways;
        break;
      case TokenType::kNormal:
        pieces_[i] = UnescapeSpaces(text);
        show_[i] = Show::kAlways;
        break;
      case TokenType::kByte: {
        const int byte = ParseByteToken(text);
        // A byte token spelled some other way decodes as its text.
        pieces_[i] = byte < 0 ? text : std::string(1, static_cast<char>(byte));
        show_[i] = Show::kAlways;
        break;
      }
      default:
        break;
    }
  }
}

std::string PieceTable::Piece(TokenId id, bool special) const {
  if (id < 0 || static_cast<size_t>(id) >= pieces_.size()) return {};
  const Show show = show_[static_cast<size_t>(id)];
  if (show == Show::kNever || (show == Show::kSpecialOnly && !special)) return {};
  return pieces_[static_cast<size_t>(id)];
}

}  // namespace shimmy
