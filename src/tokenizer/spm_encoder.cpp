// SentencePiece BPE ("llama" vocabularies: Llama 1/2, Mistral v1, Phi-3,
// Gemma 1-3 and their kin).
//
// Spaces become "▁" (and a fragment that starts the text or follows a
// special token gets a leading "▁" when add_space_prefix). The fragment is
// split into UTF-8 characters, then the adjacent pair whose concatenation is
// the highest-scoring vocabulary token is merged, again and again, until no
// adjacent pair forms a token; ties go to the leftmost pair. A final symbol
// that is no token is spelled with byte tokens "<0xXX>".
//
// Cost: O(n log w): merging runs word by word, w = the longest word. A merge
// can only join the symbols around a boundary if some token contains those
// two symbols next to each other; before a "▁" whose left neighbour never
// precedes "▁" inside a token no merge can cross, so the words on either
// side are merged independently, with the same result as merging the whole
// fragment at once (ties still go leftmost within a word, and no pair
// spans two words).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tokenizer/encoder.h"
#include "tokenizer/spm_tables.h"

namespace shimmy {
namespace {

constexpr std::string_view kEscapedSpace = "\xE2\x96\x81";  // "▁"

// Bytes in the UTF-8 sequence that `lead` starts, judged by its high bits
// alone as the reference does: a stray continuation byte is one symbol, and
// 0xF8..0xFF claim four bytes.
size_t SymbolLength(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

class SpmEncoder final : public Encoder {
 public:
  explicit SpmEncoder(SharedVocab vocab);

  void EncodeFragment(std::string_view text, const FragmentContext& ctx,
                      std::vector<TokenId>& out) const override;

  std::string TokenToPiece(TokenId id, bool special) const override {
    return pieces_.Piece(id, special);
  }

 private:
  // Positions are within one word (words beyond 4 GiB are not supported).
  struct Symbol {
    uint32_t start;
    uint32_t size;  // 0 once merged into its left neighbour
    int32_t prev;   // -1: none
    int32_t next;
  };
  struct Candidate {
    float score;
    int32_t left;
    int32_t right;
    uint32_t size;  // bytes of the pair when it was found; stale if changed
  };
  // Heap order: the best candidate is the highest score, then leftmost.
  struct Worse {
    bool operator()(const Candidate& a, const Candidate& b) const {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
  };
  // Buffers reused from word to word within one call.
  struct Scratch {
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };

  // Merges `word`, a run no merge crosses, and appends its ids.
  void EncodeWord(std::string_view word, Scratch& scratch, std::vector<TokenId>& out) const;
  // Queues the pair (left, right) when together they spell a token.
  void PushPair(std::string_view s, const std::vector<Symbol>& symbols, int32_t left, int32_t right,
                std::vector<Candidate>& heap) const;

  SharedVocab vocab_;  // token text -> id through its index
  PieceTable pieces_;
  std::vector<float> scores_;
  std::array<TokenId, 256> byte_tokens_{};
  bool add_space_prefix_;
  bool cut_before_space_ = true;
  std::vector<std::string> space_neighbours_;  // sorted
};

SpmEncoder::SpmEncoder(SharedVocab shared)
    : vocab_(std::move(shared)), pieces_(*vocab_), add_space_prefix_(vocab_->add_space_prefix) {
  const Vocab& vocab = *vocab_;
  scores_.assign(vocab.size(), 0.0f);
  if (vocab.scores.size() == vocab.size()) scores_ = vocab.scores;
  // A NaN would break the heap's ordering; such a pair merges last.
  for (float& score : scores_) {
    if (std::isnan(score)) score = -std::numeric_limits<float>::infinity();
  }
  // Byte fallback: "<0xXX>", else a token that is the byte itself, else
  // the unknown token (the reference gives up there).
  for (int b = 0; b < 256; ++b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char name[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    TokenId id = vocab_->Find(std::string_view(name, sizeof(name)));
    if (id == kNoToken) id = vocab_->Find(std::string(1, static_cast<char>(b)));
    byte_tokens_[b] = id == kNoToken ? vocab.unk : id;
  }
  // Symbols that precede "▁" inside some token: cutting before a "▁" after
  // one of them could split a token the merges would build.
  for (size_t id = 0; id < vocab.size(); ++id) {
    const std::string_view t = vocab.tokens[id];
    for (size_t pos = 0, prev = 0; pos < t.size();) {
      const size_t n = SymbolLength(static_cast<uint8_t>(t[pos]));
      // A token ending in a cut-off character: its symbols may not line up
      // with the text's, so never cut.
      if (pos + n > t.size()) cut_before_space_ = false;
      if (pos > 0 && t.substr(pos).starts_with(kEscapedSpace)) {
        space_neighbours_.emplace_back(t.substr(prev, pos - prev));
      }
      prev = pos;
      pos += n;
    }
  }
  std::sort(space_neighbours_.begin(), space_neighbours_.end());
  space_neighbours_.erase(std::unique(space_neighbours_.begin(), space_neighbours_.end()),
                          space_neighbours_.end());
}

void SpmEncoder::PushPair(std::string_view s, const std::vector<Symbol>& symbols, int32_t left,
                          int32_t right, std::vector<Candidate>& heap) const {
  if (left < 0 || right < 0) return;
  const Symbol& l = symbols[static_cast<size_t>(left)];
  const Symbol& r = symbols[static_cast<size_t>(right)];
  const TokenId id = vocab_->Find(s.substr(l.start, l.size + r.size));
  if (id == kNoToken) return;
  heap.push_back({scores_[static_cast<size_t>(id)], left, right, l.size + r.size});
  std::push_heap(heap.begin(), heap.end(), Worse());
}

void SpmEncoder::EncodeFragment(std::string_view text, const FragmentContext& ctx,
                                std::vector<TokenId>& out) const {
  std::string s;
  s.reserve(text.size() + text.size() / 4 + 3);
  if (add_space_prefix_ && ctx.after_special) s.append(kEscapedSpace);
  for (char c : text) {
    if (c == ' ') {
      s.append(kEscapedSpace);
    } else {
      s.push_back(c);
    }
  }

  const std::string_view sv(s);
  Scratch scratch;
  size_t word = 0;
  for (size_t pos = 0, prev = 0; pos < sv.size();) {
    const size_t n = std::min(SymbolLength(static_cast<uint8_t>(sv[pos])), sv.size() - pos);
    if (cut_before_space_ && pos > word && sv.substr(pos).starts_with(kEscapedSpace) &&
        !std::binary_search(space_neighbours_.begin(), space_neighbours_.end(),
                            sv.substr(prev, pos - prev))) {
      EncodeWord(sv.substr(word, pos - word), scratch, out);
      word = pos;
    }
    prev = pos;
    pos += n;
  }
  if (word < sv.size()) EncodeWord(sv.substr(word), scratch, out);
}

void SpmEncoder::EncodeWord(std::string_view s, Scratch& scratch, std::vector<TokenId>& out) const {
  std::vector<Symbol>& symbols = scratch.symbols;
  std::vector<Candidate>& heap = scratch.heap;
  symbols.clear();
  heap.clear();
  for (size_t pos = 0; pos < s.size();) {
    const size_t n = std::min(SymbolLength(static_cast<uint8_t>(s[pos])), s.size() - pos);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(n), index - 1,
                       pos + n == s.size() ? -1 : index + 1});
    pos += n;
  }

  for (size_t i = 1; i < symbols.size(); ++i) {
    PushPair(s, symbols, static_cast<int32_t>(i - 1), static_cast<int32_t>(i), heap);
  }
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), Worse());
    const Candidate c = heap.back();
    heap.pop_back();
    Symbol& left = symbols[static_cast<size_t>(c.left)];
    Symbol& right = symbols[static_cast<size_t>(c.right)];
    // Skip pairs whose symbols changed since they were queued.
    if (left.size == 0 || right.size == 0 || left.size + right.size != c.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = c.left;
    PushPair(s, symbols, left.prev, c.left, heap);
    PushPair(s, symbols, c.left, left.next, heap);
  }

  // Every merged symbol is a token; a character left on its own may not be.
  for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& sym = symbols[static_cast<size_t>(i)];
    const std::string_view piece = s.substr(sym.start, sym.size);
    const TokenId id = vocab_->Find(piece);
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    for (char byte : piece) {
      const TokenId b = byte_tokens_[static_cast<uint8_t>(byte)];
      if (b != kNoToken) out.push_back(b);
    }
  }
}

}  // namespace

Result<std::unique_ptr<Encoder>> MakeSpmEncoder(const SharedVocab& vocab) {
  if (vocab->size() == 0) return Error("SentencePiece vocabulary has no tokens");
  if (vocab->types.size() != vocab->size()) {
    return Error("token types do not match the vocabulary");
  }
  return std::unique_ptr<Encoder>(std::make_unique<SpmEncoder>(vocab));
}

}  // namespace shimmy
