// SentencePiece Unigram ("t5" vocabularies): the precompiled charsmap
// (hand-built, real, and corrupt), whitespace handling, Viterbi
// segmentation, unknown tokens, user-defined pieces.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <map>
#include <random>

#include "spm_test_vocab.h"
#include "tokenizer/normalizer_charsmap.h"

namespace shimmy {
namespace {

using testing::LoadFixtureVocab;
using testing::LoadTestVocab;
using testing::TestVocab;

constexpr EncodeOptions kPlain{.add_special = false, .parse_special = false};

std::string W(const std::string& word) { return "\xE2\x96\x81" + word; }

// Builds a precompiled charsmap blob for `rules` (source -> replacement):
// a Darts-clone double array, placed first-fit, then the replacements.
std::vector<uint8_t> BuildCharsMap(const std::map<std::string, std::string>& rules) {
  struct Node {
    std::map<uint8_t, int> children;
    int value = -1;  // offset of the replacement
  };
  std::vector<Node> trie(1);
  std::string strings;
  for (const auto& [from, to] : rules) {
    int n = 0;
    for (char c : from) {
      auto [it, added] = trie[static_cast<size_t>(n)].children.emplace(static_cast<uint8_t>(c), 0);
      if (added) {
        it->second = static_cast<int>(trie.size());
        trie.emplace_back();
      }
      n = it->second;
    }
    trie[static_cast<size_t>(n)].value = static_cast<int>(strings.size());
    strings += to;
    strings.push_back('\0');
  }
  std::vector<uint32_t> units(1, 0);
  std::vector<bool> used(1, true);
  auto claim = [&](uint32_t i) {
    if (i >= units.size()) {
      units.resize(i + 1, 0);
      used.resize(i + 1, false);
    }
    used[i] = true;
  };
  auto is_free = [&](uint32_t i) { return i != 0 && (i >= used.size() || !used[i]); };
  // (trie node, its unit index, its label)
  std::vector<std::tuple<int, uint32_t, uint8_t>> queue{{0, 0, 0}};
  for (size_t q = 0; q < queue.size(); ++q) {
    const auto [n, at, label] = queue[q];
    const Node& node = trie[static_cast<size_t>(n)];
    // Children sit at base ^ label, the value at base itself.
    uint32_t base = 1;
    for (;; ++base) {
      bool ok = node.value < 0 || is_free(base);
      for (const auto& [c, child] : node.children) ok = ok && is_free(base ^ c);
      if (ok) break;
    }
    const uint32_t offset = at ^ base;
    units[at] = (offset << 10) | (node.value >= 0 ? 1u << 8 : 0u) | label;
    if (node.value >= 0) {
      claim(base);
      units[base] = 0x80000000u | static_cast<uint32_t>(node.value);
    }
    for (const auto& [c, child] : node.children) {
      claim(base ^ c);
      queue.emplace_back(child, base ^ c, c);
    }
  }
  std::vector<uint8_t> blob;
  auto put32 = [&](uint32_t x) {
    for (int i = 0; i < 4; ++i) blob.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  put32(static_cast<uint32_t>(units.size() * 4));
  for (uint32_t u : units) put32(u);
  blob.insert(blob.end(), strings.begin(), strings.end());
  return blob;
}

gguf::Value ByteArray(const std::vector<uint8_t>& bytes) {
  gguf::Array a;
  a.elem_type = gguf::ValueType::kU8;
  a.packed.resize(bytes.size());
  std::memcpy(a.packed.data(), bytes.data(), bytes.size());
  return gguf::Value::OfArray(std::move(a));
}

// --- the charsmap ---------------------------------------------------------

TEST(UnigramCharsMap, FindsTheLongestRule) {
  auto map = CharsMap::Parse(BuildCharsMap({{"a", "A"}, {"ab", "X"}, {"abc", ""}, {"\t", " "}}));
  ASSERT_TRUE(map.ok()) << map.error().message();
  auto m = map->LongestPrefix("abd");
  EXPECT_EQ(m.consumed, 2u);
  EXPECT_EQ(m.replacement, "X");
  m = map->LongestPrefix("abcd");
  EXPECT_EQ(m.consumed, 3u);
  EXPECT_EQ(m.replacement, "");
  EXPECT_EQ(map->LongestPrefix("a").replacement, "A");
  EXPECT_EQ(map->LongestPrefix("\t").replacement, " ");
  EXPECT_EQ(map->LongestPrefix("b").consumed, 0u);
  EXPECT_EQ(map->LongestPrefix("").consumed, 0u);
}

TEST(UnigramCharsMap, RejectsOrSurvivesCorruptMaps) {
  EXPECT_TRUE(CharsMap::Parse({}).ok());  // no map: no rules
  const std::vector<uint8_t> short_header = {1, 0};
  EXPECT_FALSE(CharsMap::Parse(short_header).ok());
  const std::vector<uint8_t> too_big = {0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0};
  EXPECT_FALSE(CharsMap::Parse(too_big).ok());

  // Flip random bits of a valid map: whatever parses must look up safely
  // (run under the sanitizer build to see any stray read).
  const std::vector<uint8_t> good = BuildCharsMap({{"a", "A"}, {"ab", "X"}, {"xyz", "Q"}});
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bad = good;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    auto map = CharsMap::Parse(bad);
    if (!map.ok()) continue;
    for (const char* probe : {"a", "ab", "abc", "xyz", "\xFF\xFE", "zzzz"}) {
      const auto m = map->LongestPrefix(probe);
      EXPECT_LE(m.consumed, std::string_view(probe).size());
    }
  }
}

TEST(UnigramCharsMap, ACorruptMapInAFileIsAnError) {
  TestVocab v;
  v.model = "t5";
  v.Add("<pad>", 0, TokenType::kControl);
  v.Add("</s>", 0, TokenType::kControl);
  v.Add("<unk>", 0, TokenType::kUnknown);
  v.Add(W("a"), -1);
  auto tok = LoadTestVocab("unigram-corrupt", v, [](gguf::GgufWriter& w) {
    w.Set("tokenizer.ggml.precompiled_charsmap", ByteArray({0x10, 0, 0, 0, 1, 2}));
  });
  EXPECT_FALSE(tok.ok());
}

// --- segmentation ---------------------------------------------------------

class Unigram : public ::testing::Test {
 protected:
  void SetUp() override { Load(true, true); }

  void Load(bool add_space_prefix, bool remove_extra_whitespaces,
            const std::map<std::string, std::string>& rules = {}) {
    v_ = TestVocab{};
    v_.model = "t5";
    pad_ = v_.Add("<pad>", 0, TokenType::kControl);
    eos_ = v_.Add("</s>", 0, TokenType::kControl);
    unk_ = v_.Add("<unk>", 0, TokenType::kUnknown);
    v_.Add("\xE2\x96\x81", -3);
    for (const char* c : {"a", "b", "c", "d"}) v_.Add(c, -4);
    v_.Add(W("a"), -2);
    v_.Add(W("ab"), -3);
    v_.Add("cd", -3);
    v_.Add(W("abcd"), -7.5f);  // loses to ▁ab + cd (-6)
    v_.Add("bc", -1);
    user_ = v_.Add("<x>", -100, TokenType::kUserDefined);
    auto tok = LoadTestVocab("unigram", v_, [&](gguf::GgufWriter& w) {
      w.Set("tokenizer.ggml.eos_token_id", gguf::Value::U32(static_cast<uint32_t>(eos_)));
      w.Set("tokenizer.ggml.unknown_token_id", gguf::Value::U32(static_cast<uint32_t>(unk_)));
      w.Set("tokenizer.ggml.padding_token_id", gguf::Value::U32(static_cast<uint32_t>(pad_)));
      w.Set("tokenizer.ggml.add_space_prefix", gguf::Value::Bool(add_space_prefix));
      w.Set("tokenizer.ggml.remove_extra_whitespaces", gguf::Value::Bool(remove_extra_whitespaces));
      if (!rules.empty()) {
        w.Set("tokenizer.ggml.precompiled_charsmap", ByteArray(BuildCharsMap(rules)));
      }
    });
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    tok_.emplace(std::move(tok).value());
  }

  TokenId Id(const std::string& text) const { return tok_->vocab().Find(text); }
  std::vector<TokenId> Ids(std::initializer_list<std::string> texts) const {
    std::vector<TokenId> ids;
    for (const std::string& t : texts) ids.push_back(Id(t));
    return ids;
  }
  std::vector<TokenId> Enc(const std::string& text) const { return tok_->Encode(text, kPlain); }

  TestVocab v_;
  std::optional<Tokenizer> tok_;
  TokenId pad_, eos_, unk_, user_;
};

TEST_F(Unigram, PicksTheBestScoringSegmentation) {
  // ▁ab + cd = -6 beats ▁abcd = -7.5 and ▁a + bc + d = -7.
  EXPECT_EQ(Enc("abcd"), Ids({W("ab"), "cd"}));
  EXPECT_EQ(Enc("a"), Ids({W("a")}));
  EXPECT_EQ(Enc("bcd"), Ids({"\xE2\x96\x81", "bc", "d"}));
}

TEST_F(Unigram, MergesRunsOfUnknownCharacters) {
  // "x" and "yz" are no pieces: one <unk> for the run.
  EXPECT_EQ(Enc("axyz"), (std::vector<TokenId>{Id(W("a")), unk_}));
  EXPECT_EQ(Enc("xaz"), (std::vector<TokenId>{Id("\xE2\x96\x81"), unk_, Id("a"), unk_}));
}

TEST_F(Unigram, CollapsesWhitespaceWhenAsked) {
  EXPECT_EQ(Enc("  a   a  "), Ids({W("a"), W("a")}));
  EXPECT_TRUE(Enc("   ").empty());
  Load(/*add_space_prefix=*/true, /*remove_extra_whitespaces=*/false);
  // Each space is a "▁", and the prefix goes before the first word.
  EXPECT_EQ(Enc("a  a"), Ids({W("a"), "\xE2\x96\x81", W("a")}));
  EXPECT_EQ(Enc(" a"), Ids({"\xE2\x96\x81", W("a")}));
  Load(/*add_space_prefix=*/false, /*remove_extra_whitespaces=*/false);
  EXPECT_EQ(Enc("a a"), Ids({"a", W("a")}));
}

TEST_F(Unigram, AppliesTheCharsMapBeforeSegmenting) {
  // Full-width Ａ -> a, tab -> space, U+200B removed.
  Load(true, true, {{"\xEF\xBC\xA1", "a"}, {"\t", " "}, {"\xE2\x80\x8B", ""}});
  EXPECT_EQ(Enc("\xEF\xBC\xA1\tb\xE2\x80\x8B"), Ids({W("a"), "\xE2\x96\x81", "b"}));
}

TEST_F(Unigram, UserDefinedPiecesSplitOutAndScoreZero) {
  EXPECT_EQ(Enc("a<x>a"), (std::vector<TokenId>{Id(W("a")), user_, Id(W("a"))}));
  EXPECT_EQ(tok_->Decode(std::vector<TokenId>{user_}), "<x>");
}

TEST_F(Unigram, AddSpecialAppendsEos) {
  EXPECT_EQ(tok_->Encode("a"), (std::vector<TokenId>{Id(W("a")), eos_}));
  EXPECT_EQ(tok_->Decode(tok_->Encode("a  b")), "a b");
}

TEST_F(Unigram, InvalidUtf8BecomesUnknown) {
  EXPECT_EQ(Enc("a\xFF"), (std::vector<TokenId>{Id(W("a")), unk_}));
  EXPECT_EQ(Enc("\xC3"), (std::vector<TokenId>{Id("\xE2\x96\x81"), unk_}));
}

TEST(UnigramFixture, EncodesFromManyThreadsAtOnce) {
  SHIMMY_REQUIRE_FIXTURES();
  auto tok = LoadFixtureVocab("ggml-vocab-nomic-bert-moe.gguf");
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  const std::string text = "Hello world \xEF\xBC\xA8 \xC2\xBD caf\xC3\xA9 \xF0\x9F\xA6\x99";
  const auto want = tok->Encode(text);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (tok->Encode(text) != want) ++mismatches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(UnigramFixture, NomicVocabulary) {
  SHIMMY_REQUIRE_FIXTURES();
  auto tok = LoadFixtureVocab("ggml-vocab-nomic-bert-moe.gguf");
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  // BOS and EOS frame the text.
  const auto ids = tok->Encode("Hello world");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(tok->Decode(ids), "Hello world");
  // <mask> swallows the whitespace before it.
  const EncodeOptions parse{.add_special = false, .parse_special = true};
  EXPECT_EQ(tok->Encode("Paris is the   <mask>.", parse),
            tok->Encode("Paris is the<mask>.", parse));
  // NFKC folding from the charsmap: full-width letters, ½.
  EXPECT_EQ(tok->Encode("\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F", kPlain),
            tok->Encode("Hello", kPlain));

  std::string text;
  while (text.size() < (size_t{1} << 20)) {
    text += "The quick brown fox jumps over the lazy dog, and then it rests for a while. ";
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids2 = tok->Encode(text, kPlain);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ speed    ] nomic-bert-moe: %.1f MB/s on English text\n", text.size() / 1e6 / s);
  EXPECT_GT(ids2.size(), text.size() / 8);
  const std::string word(size_t{1} << 20, 'a');
  EXPECT_GT(tok->Encode(word, kPlain).size(), 1000u);
}

TEST(UnigramFixture, MutatedRealCharsMapNeverReadsOutOfBounds) {
  SHIMMY_REQUIRE_FIXTURES();
  auto file = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-nomic-bert-moe.gguf").string());
  ASSERT_TRUE(file.ok());
  const gguf::Array* arr = file->GetArray("tokenizer.ggml.precompiled_charsmap");
  ASSERT_NE(arr, nullptr);
  std::vector<uint8_t> good(arr->packed.size());
  std::memcpy(good.data(), arr->packed.data(), good.size());
  std::mt19937 rng(99);
  const std::string probe =
      "Hello \xEF\xBC\xA8 \xC2\xBD \xE2\x80\x8B\t\xF0\x9F\xA6\x99 caf\xC3\xA9";
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> bad = good;
    for (int k = 0; k < 64; ++k) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
    auto map = CharsMap::Parse(bad);
    if (!map.ok()) continue;
    for (size_t i = 0; i < probe.size(); ++i) map->LongestPrefix(std::string_view(probe).substr(i));
  }
}

}  // namespace
}  // namespace shimmy
