// Byte-level BPE on small hand-made vocabularies (merge order, fallbacks,
// decoding) and on a fixture vocabulary (threads).
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "tokenizer/bpe_byte_level.h"
#include "tokenizer/tokenizer.h"

namespace shimmy {
namespace {

// A "gpt2" vocabulary: the 256 byte-level characters in byte order (minus
// `missing`), then `extra` tokens, with `merges` in rank order.
Vocab MakeVocab(const std::vector<std::pair<std::string, std::string>>& merges,
                const std::vector<std::string>& extra, const std::string& pre = "gpt-2",
                const std::string& missing = "") {
  Vocab v;
  v.kind = VocabKind::kBpe;
  v.model = "gpt2";
  v.pre = pre;
  for (int b = 0; b < 256; ++b) {
    const std::string c = byte_level::Encode(std::string(1, static_cast<char>(b)));
    if (c != missing) v.tokens.push_back(c);
  }
  for (const std::string& t : extra) v.tokens.push_back(t);
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  v.merges = merges;
  v.bos = v.eos = kNoToken;
  return v;
}

std::vector<std::string> Pieces(const Tokenizer& tok, std::string_view text) {
  std::vector<std::string> out;
  for (TokenId id : tok.Encode(text, {.add_special = false})) out.emplace_back(tok.vocab().tokens[id]);
  return out;
}

const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"a", "b"}, {"b", "c"}, {"ab", "c"}, {"Ġ", "a"}, {"a", "a"}};
const std::vector<std::string> kExtra = {"ab", "bc", "abc", "Ġa", "aa"};

TEST(BpeEncoder, MergesLowestRankFirst) {
  auto tok = Tokenizer::FromVocab(MakeVocab(kMerges, kExtra));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  using P = std::vector<std::string>;
  EXPECT_EQ(Pieces(*tok, "abc"), (P{"abc"}));
  // (a,b) ranks before (b,c), so "bc" only forms from what is left.
  EXPECT_EQ(Pieces(*tok, "bcab"), (P{"bc", "ab"}));
  // " abc": (a,b) first, then (ab,c); (Ġ,a) never gets its turn.
  EXPECT_EQ(Pieces(*tok, "abc abc"), (P{"abc", "Ġ", "abc"}));
  // Equal ranks merge leftmost first.
  EXPECT_EQ(Pieces(*tok, "aaa"), (P{"aa", "a"}));
  EXPECT_EQ(Pieces(*tok, ""), P{});
}

TEST(BpeEncoder, LongWordsMergeLikeShortOnes) {
  auto tok = Tokenizer::FromVocab(MakeVocab(kMerges, kExtra));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  // 51 letters: past the short-word path, so the heap path runs.
  const std::vector<std::string> pieces = Pieces(*tok, std::string(51, 'a'));
  ASSERT_EQ(pieces.size(), 26u);
  for (size_t i = 0; i < 25; ++i) EXPECT_EQ(pieces[i], "aa");
  EXPECT_EQ(pieces.back(), "a");
}

// A plain restatement of BPE on strings: repeatedly merge the adjacent pair
// with the lowest rank, leftmost on ties.
std::vector<std::string> NaiveBpe(const std::string& word,
                                  const std::vector<std::pair<std::string, std::string>>& merges) {
  std::vector<std::string> s;
  for (char c : word) s.push_back(std::string(1, c));
  while (true) {
    size_t best = s.size();
    size_t best_rank = merges.size();
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      for (size_t r = 0; r < best_rank; ++r) {
        if (merges[r].first == s[i] && merges[r].second == s[i + 1]) {
          best = i;
          best_rank = r;
          break;
        }
      }
    }
    if (best == s.size()) return s;
    s[best] += s[best + 1];
    s.erase(s.begin() + static_cast<ptrdiff_t>(best) + 1);
  }
}

TEST(BpeEncoder, AgreesWithNaiveBpeOnRandomWords) {
  // Merges over a three-letter alphabet, including chains and overlaps.
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"a", "b"},  {"b", "a"},  {"c", "c"},  {"ab", "a"},  {"a", "a"}, {"b", "c"},
      {"ba", "b"}, {"cc", "a"}, {"aa", "b"}, {"ab", "ab"}, {"c", "b"}, {"aab", "cc"}};
  std::vector<std::string> extra;
  for (const auto& [l, r] : merges) extra.push_back(l + r);
  auto tok = Tokenizer::FromVocab(MakeVocab(merges, extra));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  // The encoder indexed the merges; the strings are not kept (memory).
  EXPECT_TRUE(tok->vocab().merges.empty());
  std::mt19937 rng(1);
  for (int round = 0; round < 500; ++round) {
    std::string word;
    const size_t n = 1 + rng() % 80;
    for (size_t i = 0; i < n; ++i) word += "abc"[rng() % 3];
    EXPECT_EQ(Pieces(*tok, word), NaiveBpe(word, merges)) << word;
  }
}

TEST(BpeEncoder, IgnoreMergesEmitsWholeTokenWords) {
  // "abcd" is a token but no merges lead to it.
  std::vector<std::string> extra = kExtra;
  extra.push_back("abcd");
  auto llama3 = Tokenizer::FromVocab(MakeVocab(kMerges, extra, "llama-bpe"));
  auto dbrx = Tokenizer::FromVocab(MakeVocab(kMerges, extra, "dbrx"));  // same regex
  ASSERT_TRUE(llama3.ok()) << llama3.error().message();
  ASSERT_TRUE(dbrx.ok()) << dbrx.error().message();
  EXPECT_EQ(Pieces(*llama3, "abcd"), (std::vector<std::string>{"abcd"}));
  EXPECT_EQ(Pieces(*dbrx, "abcd"), (std::vector<std::string>{"abc", "d"}));
}

TEST(BpeEncoder, MissingByteCharacterFallsBackLikeTheReference) {
  // Without "z", the symbol for byte 'z' is looked up byte by byte as a
  // raw one-byte token; there is none, so it is dropped.
  auto tok = Tokenizer::FromVocab(MakeVocab(kMerges, kExtra, "gpt-2", "z"));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  EXPECT_EQ(Pieces(*tok, "az"), (std::vector<std::string>{"a"}));

  // Without "Ã" (byte 0xC3), the character's first UTF-8 byte 0xC3 is found
  // as a raw token; 0x83 is not.
  std::vector<std::string> extra = kExtra;
  extra.push_back("\xC3");
  auto tok2 = Tokenizer::FromVocab(MakeVocab(kMerges, extra, "gpt-2", "\xC3\x83"));
  ASSERT_TRUE(tok2.ok());
  EXPECT_EQ(Pieces(*tok2, "\xC3\xA9"), (std::vector<std::string>{"\xC3", "\xC2\xA9"}));
}

TEST(BpeEncoder, TokenToPieceByType) {
  Vocab v = MakeVocab(kMerges, {"Ġa", "<|eot|>", "<tool>", "<0x41>", "<unused0>", "€x"});
  const auto id = [&](const std::string& t) {
    const TokenId found = v.Find(t);
    EXPECT_NE(found, kNoToken) << t;
    return found;
  };
  v.types[id("<|eot|>")] = TokenType::kControl;
  v.types[id("<tool>")] = TokenType::kUserDefined;
  v.types[id("<0x41>")] = TokenType::kByte;
  v.types[id("<unused0>")] = TokenType::kUnused;
  const TokenId ga = id("Ġa"), eot = id("<|eot|>"), tool = id("<tool>"), byte = id("<0x41>"),
                unused = id("<unused0>"), euro = id("€x"), newline = id("Ċ");
  auto tok = Tokenizer::FromVocab(std::move(v));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  EXPECT_EQ(tok->TokenToPiece(ga), " a");
  EXPECT_EQ(tok->TokenToPiece(newline), "\n");
  EXPECT_EQ(tok->TokenToPiece(eot), "");
  EXPECT_EQ(tok->TokenToPiece(eot, /*special=*/true), "<|eot|>");
  EXPECT_EQ(tok->TokenToPiece(tool), "<tool>");
  EXPECT_EQ(tok->TokenToPiece(byte), "A");
  EXPECT_EQ(tok->TokenToPiece(unused), "");
  // '€' is outside the byte alphabet: kept as it is.
  EXPECT_EQ(tok->TokenToPiece(euro), "€x");
}

TEST(BpeEncoder, RoundTripsArbitraryBytes) {
  auto tok = Tokenizer::FromVocab(MakeVocab(kMerges, kExtra));
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  using namespace std::string_literals;
  const std::string text = "tab\there, nul\0byte, \x7F\xC2\xAD, é, 🦙 and \r\n"s;
  EXPECT_EQ(tok->Decode(tok->Encode(text, {.add_special = false})), text);
}

TEST(BpeEncoder, ConcurrentEncodesAgree) {
  SHIMMY_REQUIRE_FIXTURES();
  auto file = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-qwen2.gguf").string());
  ASSERT_TRUE(file.ok());
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text += "Line " + std::to_string(i) + ": the quick brown fox 🦙 jumps, 日本語 ok?\n";
  }
  const std::vector<TokenId> expected = tok->Encode(text, {.add_special = false});
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      bool same = true;
      for (int i = 0; i < 20; ++i) same &= tok->Encode(text, {.add_special = false}) == expected;
      ok[t] = same;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
  EXPECT_EQ(tok->Decode(expected), text);
}

}  // namespace
}  // namespace shimmy

namespace shimmy {
namespace {

TEST(BpeDefaults, Llama3AddsBosWhenTheFileDoesNotSay) {
  SHIMMY_REQUIRE_FIXTURES();
  auto file = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-llama-bpe.gguf").string());
  ASSERT_TRUE(file.ok());
  ASSERT_FALSE(file->GetBool("tokenizer.ggml.add_bos_token").has_value());
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok());
  const auto ids = tok->Encode("Hello", {.add_special = true});
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 128000);  // <|begin_of_text|>
  // gpt-2 does not add one.
  auto gpt2 = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-gpt-2.gguf").string());
  ASSERT_TRUE(gpt2.ok());
  auto tok2 = Tokenizer::FromGguf(*gpt2);
  ASSERT_TRUE(tok2.ok());
  EXPECT_NE(tok2->Encode("Hello", {.add_special = true}).front(), 50256);
}

}  // namespace
}  // namespace shimmy
