// Byte-level BPE ("gpt2" in tokenizer.ggml.model).
//
// Encoding: the pre-tokenizer cuts a fragment into words; each word's bytes
// start as one symbol each (the byte-level character for that byte), and
// adjacent pairs merge lowest rank first, leftmost first among equal ranks,
// until no pair has a rank. Each final symbol is a token; one that is not
// (a vocabulary without some byte character) falls back to the tokens of
// its single UTF-8 bytes, the way the reference does.
//
// Symbols are integers (see bpe_tables.h), so a merge step is one lookup of
// an (id, id) pair and no strings are built while encoding.
#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>

#include "base/utf8.h"
#include "tokenizer/bpe_byte_level.h"
#include "tokenizer/bpe_tables.h"
#include "tokenizer/encoder.h"
#include "tokenizer/pre_tokenizer.h"

namespace shimmy {
namespace {

// Marks a symbol that was merged into its left neighbour.
constexpr SymbolId kMergedAway = std::numeric_limits<SymbolId>::max();
constexpr int32_t kNoRank = INT32_MAX;
// Words up to this many bytes merge by rescanning a short list, which beats
// a heap there; longer ones use the heap (O(n log n)).
constexpr int32_t kMaxScanWord = 24;

// A pair that may merge, as queued: valid while both symbols are unchanged.
struct Candidate {
  int32_t rank;
  int32_t left;
  int32_t right;
  SymbolId left_symbol;
  SymbolId right_symbol;
  SymbolId result;
};

// Heap order: lowest rank on top, then leftmost.
struct LowerPriority {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  }
};

// Recently encoded words of one call, direct-mapped: long texts repeat
// their words, and a hit replaces a dozen table lookups by one compare.
struct WordCacheSlot {
  uint64_t hash = 0;
  uint32_t word_begin = 0;
  uint32_t word_size = 0;  // 0: empty slot
  size_t token_begin = 0;  // index into the output vector
  size_t n_tokens = 0;
};

// Buffers of one EncodeFragment call, reused across its words.
struct Scratch {
  std::string sanitized;
  std::vector<TextSpan> words;
  std::vector<SymbolId> symbol;
  std::vector<int32_t> prev;
  std::vector<int32_t> next;
  std::vector<int32_t> pair_rank;  // rank of (i, next[i]); kNoRank if none
  std::vector<SymbolId> pair_result;
  std::vector<Candidate> heap;
  std::vector<WordCacheSlot> cache;
  std::string spelled;  // a word in byte-level characters
};

// Byte-level text back to bytes; a character outside the byte alphabet
// (hand-added tokens) stays the UTF-8 it is.
std::string DecodeLenient(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    // An ASCII character is its own byte whether or not it is in the
    // alphabet (one outside it is kept as is).
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      out.push_back(text[pos++]);
      continue;
    }
    const size_t start = pos;
    const int byte = byte_level::CodepointToByte(utf8::DecodeOne(text, pos));
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

class BpeEncoder final : public Encoder {
 public:
  explicit BpeEncoder(SharedVocab vocab);

  void EncodeFragment(std::string_view text, const FragmentContext& ctx,
                      std::vector<TokenId>& out) const override;
  std::string TokenToPiece(TokenId id, bool special) const override;

 private:
  void EncodeChunk(std::string_view text, Scratch& scratch, std::vector<TokenId>& out) const;
  void EncodeWord(std::string_view word, Scratch& scratch, std::vector<TokenId>& out) const;
  void MergeByScan(int32_t n, Scratch& scratch) const;
  void MergeByHeap(int32_t n, Scratch& scratch) const;

  const MergeTable::Merge* FindMerge(SymbolId left, SymbolId right) const {
    return merges_.Find(left, right);
  }
  void Emit(SymbolId symbol, std::vector<TokenId>& out) const {
    if (symbol < n_vocab_) {
      out.push_back(static_cast<TokenId>(symbol));
    } else {
      const auto& bytes = fallback_[symbol - n_vocab_];
      out.insert(out.end(), bytes.begin(), bytes.end());
    }
  }

  PreTokenizer pre_;
  SymbolId n_vocab_;
  std::array<SymbolId, 256> byte_symbol_{};
  MergeTable merges_;
  // Per symbol past the vocabulary: the tokens it falls back to.
  std::vector<std::vector<TokenId>> fallback_;
  // The token texts' index: with ignore_merges a word that is a token
  // (spelled in byte-level characters) is that token, merges or not.
  SharedVocab vocab_;
  bool whole_words_;
  // Tokens that decode only when `special`.
  std::vector<bool> hidden_;
};

BpeEncoder::BpeEncoder(SharedVocab shared)
    : pre_(PreTokenizer::ForName(shared->pre)),
      n_vocab_(static_cast<SymbolId>(shared->size())),
      merges_(shared->merges.size()),
      vocab_(std::move(shared)),
      whole_words_(pre_.ignore_merges()) {
  const Vocab& vocab = *vocab_;
  // Interning: vocabulary strings get their token id, other strings (rare:
  // merge parts that are not tokens) ids past the vocabulary.
  const StringTable& token_index = vocab.tokens;
  std::unordered_map<std::string, SymbolId> extra_ids;
  std::vector<std::string> extra_texts;
  auto intern = [&](std::string_view text) -> SymbolId {
    const int64_t id = token_index.Find(text);
    if (id >= 0) return static_cast<SymbolId>(id);
    auto [it, inserted] =
        extra_ids.emplace(text, n_vocab_ + static_cast<SymbolId>(extra_texts.size()));
    if (inserted) extra_texts.emplace_back(text);
    return it->second;
  };

  for (int b = 0; b < 256; ++b) {
    byte_symbol_[b] = intern(byte_level::Encode(std::string(1, static_cast<char>(b))));
  }
  std::string joined;
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const auto& [left, right] = vocab.merges[rank];
    joined.assign(left).append(right);
    const SymbolId l = intern(left);
    const SymbolId r = intern(right);
    merges_.InsertIfAbsent(l, r, {static_cast<int32_t>(rank), intern(joined)});
  }
  // The reference looks each UTF-8 byte of such a symbol up as a
  // one-character token; usually there is none and the byte is dropped.
  fallback_.resize(extra_texts.size());
  for (size_t i = 0; i < extra_texts.size(); ++i) {
    for (char c : extra_texts[i]) {
      const int64_t id = token_index.Find(std::string_view(&c, 1));
      if (id >= 0) fallback_[i].push_back(static_cast<TokenId>(id));
    }
  }

  hidden_.resize(vocab.size());
  for (size_t id = 0; id < vocab.size(); ++id) {
    hidden_[id] = vocab.IsControlLike(static_cast<TokenId>(id));
  }
}

void BpeEncoder::EncodeFragment(std::string_view text, const FragmentContext& /*ctx*/,
                                std::vector<TokenId>& out) const {
  Scratch scratch;
  const std::string_view valid = SanitizeUtf8(text, scratch.sanitized);
  // Spans are 32-bit: texts of 2 GiB and more go in pieces cut at a
  // character boundary.
  constexpr size_t kMaxChunk = size_t{1} << 31;
  for (size_t begin = 0; begin < valid.size();) {
    size_t end = std::min(valid.size(), begin + kMaxChunk);
    while (end < valid.size() && (static_cast<uint8_t>(valid[end]) & 0xC0) == 0x80) --end;
    EncodeChunk(valid.substr(begin, end - begin), scratch, out);
    begin = end;
  }
}

void BpeEncoder::EncodeChunk(std::string_view text, Scratch& s, std::vector<TokenId>& out) const {
  s.words.clear();
  pre_.Split(text, s.words);
  // Short texts rarely repeat a word; for them the cache costs more than
  // it saves.
  s.cache.clear();
  if (text.size() >= 1024) {
    s.cache.resize(std::bit_ceil(std::min<size_t>(text.size() / 8, 8192)));
  }
  const size_t mask = s.cache.size() - 1;
  for (const TextSpan& w : s.words) {
    const std::string_view word = text.substr(w.begin, w.end - w.begin);
    if (s.cache.empty() || word.size() < 2) {
      EncodeWord(word, s, out);
      continue;
    }
    const uint64_t hash = std::hash<std::string_view>{}(word);
    WordCacheSlot& slot = s.cache[hash & mask];
    if (slot.word_size == word.size() && slot.hash == hash &&
        std::memcmp(text.data() + slot.word_begin, word.data(), word.size()) == 0) {
      const size_t at = out.size();
      out.resize(at + slot.n_tokens);
      std::copy_n(out.begin() + static_cast<ptrdiff_t>(slot.token_begin), slot.n_tokens,
                  out.begin() + static_cast<ptrdiff_t>(at));
      continue;
    }
    const size_t before = out.size();
    EncodeWord(word, s, out);
    slot = {hash, w.begin, static_cast<uint32_t>(word.size()), before, out.size() - before};
  }
}

void BpeEncoder::EncodeWord(std::string_view word, Scratch& s, std::vector<TokenId>& out) const {
  if (whole_words_) {
    // Byte-level spelling is one character per byte, so the word is a
    // token exactly when its spelling is one.
    s.spelled.clear();
    byte_level::EncodeAppend(word, s.spelled);
    if (const TokenId id = vocab_->Find(s.spelled); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }
  const auto n = static_cast<int32_t>(word.size());
  if (n == 1) {
    Emit(byte_symbol_[static_cast<uint8_t>(word[0])], out);
    return;
  }

  // A linked list of symbols over the word's bytes; a merge folds the right
  // symbol into the left one.
  s.symbol.resize(n);
  s.next.resize(n);
  for (int32_t i = 0; i < n; ++i) {
    s.symbol[i] = byte_symbol_[static_cast<uint8_t>(word[i])];
    s.next[i] = i + 1 < n ? i + 1 : -1;
  }
  if (n <= kMaxScanWord) {
    MergeByScan(n, s);
  } else {
    MergeByHeap(n, s);
  }
  for (int32_t i = 0; i >= 0; i = s.next[i]) Emit(s.symbol[i], out);
}

// Each round takes the lowest-ranked adjacent pair, leftmost on ties: the
// same order the heap gives, found by a scan.
void BpeEncoder::MergeByScan(int32_t n, Scratch& s) const {
  s.pair_rank.resize(n);
  s.pair_result.resize(n);
  auto update = [&](int32_t i) {
    const int32_t j = s.next[i];
    const MergeTable::Merge* m = j >= 0 ? FindMerge(s.symbol[i], s.symbol[j]) : nullptr;
    s.pair_rank[i] = m != nullptr ? m->rank : kNoRank;
    if (m != nullptr) s.pair_result[i] = m->result;
  };
  for (int32_t i = 0; i < n; ++i) update(i);
  while (true) {
    int32_t best = -1, best_prev = -1;
    int32_t best_rank = kNoRank;
    for (int32_t i = 0, prev = -1; i >= 0; prev = i, i = s.next[i]) {
      if (s.pair_rank[i] < best_rank) {
        best_rank = s.pair_rank[i];
        best = i;
        best_prev = prev;
      }
    }
    if (best < 0) return;
    const int32_t right = s.next[best];
    s.symbol[best] = s.pair_result[best];
    s.symbol[right] = kMergedAway;
    s.next[best] = s.next[right];
    update(best);
    if (best_prev >= 0) update(best_prev);
  }
}

void BpeEncoder::MergeByHeap(int32_t n, Scratch& s) const {
  s.prev.resize(n);
  for (int32_t i = 0; i < n; ++i) s.prev[i] = i - 1;
  s.heap.clear();
  auto add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const MergeTable::Merge* m = FindMerge(s.symbol[left], s.symbol[right]);
    if (m == nullptr) return;
    s.heap.push_back({m->rank, left, right, s.symbol[left], s.symbol[right], m->result});
    std::push_heap(s.heap.begin(), s.heap.end(), LowerPriority{});
  };
  for (int32_t i = 1; i < n; ++i) add(i - 1, i);

  while (!s.heap.empty()) {
    std::pop_heap(s.heap.begin(), s.heap.end(), LowerPriority{});
    const Candidate c = s.heap.back();
    s.heap.pop_back();
    // Stale when either side changed since it was queued: a symbol id fixes
    // its string and a symbol's start never moves, so unchanged ids mean
    // the pair is still adjacent and still the same.
    if (s.symbol[c.left] != c.left_symbol || s.symbol[c.right] != c.right_symbol) continue;
    s.symbol[c.left] = c.result;
    s.symbol[c.right] = kMergedAway;
    const int32_t after = s.next[c.right];
    s.next[c.left] = after;
    if (after >= 0) s.prev[after] = c.left;
    add(s.prev[c.left], c.left);
    add(c.left, after);
  }
}

std::string BpeEncoder::TokenToPiece(TokenId id, bool special) const {
  // Decoded on each call rather than kept (a few bytes of work per token,
  // against ~1.5 MB of pieces for a 128k vocabulary).
  if (id < 0 || static_cast<size_t>(id) >= hidden_.size()) return {};
  const std::string_view text = vocab_->tokens[static_cast<size_t>(id)];
  if (hidden_[static_cast<size_t>(id)]) return special ? std::string(text) : std::string();
  switch (vocab_->type(id)) {
    case TokenType::kNormal:
      return DecodeLenient(text);
    case TokenType::kByte: {
      const int byte = ParseByteToken(text);
      return byte >= 0 ? std::string(1, static_cast<char>(byte)) : std::string(text);
    }
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUserDefined:
      return std::string(text);
    case TokenType::kUnused:
    case TokenType::kUndefined:
      break;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Encoder>> MakeBpeEncoder(const SharedVocab& shared) {
  const Vocab& vocab = *shared;
  if (vocab.size() == 0) return Error("byte-level BPE vocabulary has no tokens");
  if (vocab.types.size() != vocab.size()) {
    return Error("byte-level BPE vocabulary: token types do not match the tokens");
  }
  if (vocab.merges.size() > static_cast<size_t>(INT32_MAX)) {
    return Error("byte-level BPE vocabulary: too many merges");
  }
  return std::unique_ptr<Encoder>(std::make_unique<BpeEncoder>(shared));
}

}  // namespace shimmy
