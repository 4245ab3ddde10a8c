// SentencePiece BPE ("llama" vocabularies): merge order, space prefix, byte
// fallback, decoding, and Gemma's conventions on a synthetic vocabulary.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "spm_test_vocab.h"

namespace shimmy {
namespace {

using testing::LoadFixtureVocab;
using testing::LoadTestVocab;
using testing::TestVocab;

constexpr EncodeOptions kPlain{.add_special = false, .parse_special = false};
constexpr EncodeOptions kParse{.add_special = false, .parse_special = true};

// --- merge order ----------------------------------------------------------

TEST(ByteTokens, OnlyTheExactSpellingIsAByte) {
  EXPECT_EQ(ParseByteToken("<0x0A>"), 0x0A);
  EXPECT_EQ(ParseByteToken("<0xff>"), 0xFF);
  EXPECT_EQ(ParseByteToken("<0xE2>"), 0xE2);
  EXPECT_EQ(ParseByteToken("<0x0A"), -1);
  EXPECT_EQ(ParseByteToken("<0x0G>"), -1);
  EXPECT_EQ(ParseByteToken("<0x0A>>"), -1);
  EXPECT_EQ(ParseByteToken("[0x0A]"), -1);
  EXPECT_EQ(ParseByteToken(""), -1);
}

TEST(SpmEncoder, MergesHighestScoreFirstAndBreaksTiesToTheLeft) {
  TestVocab v;
  v.Add("<unk>", 0, TokenType::kUnknown);
  const TokenId a = v.Add("a", -10), b = v.Add("b", -10), c = v.Add("c", -10);
  const TokenId ab = v.Add("ab", -2), bc = v.Add("bc", -2);
  auto tok = LoadTestVocab("spm-ties", v, [](gguf::GgufWriter& w) {
    w.Set("tokenizer.ggml.add_space_prefix", gguf::Value::Bool(false));
  });
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  // Equal scores: the leftmost pair merges first.
  EXPECT_EQ(tok->Encode("abc", kPlain), (std::vector<TokenId>{ab, c}));

  v.scores[static_cast<size_t>(bc)] = -1;  // now "bc" scores higher
  tok = LoadTestVocab("spm-ties2", v, [](gguf::GgufWriter& w) {
    w.Set("tokenizer.ggml.add_space_prefix", gguf::Value::Bool(false));
  });
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->Encode("abc", kPlain), (std::vector<TokenId>{a, bc}));
  EXPECT_EQ(tok->Encode("ba", kPlain), (std::vector<TokenId>{b, a}));
}

TEST(SpmEncoder, OnlyPairsThatFormTokensMerge) {
  // "abcd" with tokens ab, cd, abcd but no "bc": ab + cd -> abcd.
  TestVocab v;
  v.Add("<unk>", 0, TokenType::kUnknown);
  for (const char* s : {"a", "b", "c", "d"}) v.Add(s, -10);
  v.Add("ab", -3);
  v.Add("cd", -3);
  const TokenId abcd = v.Add("abcd", -1);
  auto tok = LoadTestVocab("spm-chain", v, [](gguf::GgufWriter& w) {
    w.Set("tokenizer.ggml.add_space_prefix", gguf::Value::Bool(false));
  });
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->Encode("abcd", kPlain), (std::vector<TokenId>{abcd}));
}

TEST(SpmEncoder, SurvivesHostileVocabularies) {
  // No byte tokens, an unknown id out of range, NaN and infinite scores, an
  // empty token, a duplicate, and a token ending in half a character.
  TestVocab v;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const TokenId a = v.Add("a", nan);
  v.Add("b", inf);
  v.Add("ab", -inf);
  v.Add("", 0);
  v.Add("a", -1);
  v.Add("\xE2\x96", -1);
  v.Add("\xE2\x96\x81" "a", nan);
  auto tok = LoadTestVocab("spm-hostile", v, [](gguf::GgufWriter& w) {
    w.Set("tokenizer.ggml.unknown_token_id", gguf::Value::U32(99999));
  });
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  EXPECT_EQ(tok->vocab().unk, kNoToken);
  std::mt19937 rng(5);
  for (int i = 0; i < 200; ++i) {
    std::string text;
    for (int j = static_cast<int>(rng() % 30); j > 0; --j)
      text.push_back("ab \xE2\x96\x81\xFF"[rng() % 7]);
    for (TokenId id : tok->Encode(text)) EXPECT_TRUE(tok->vocab().valid(id));
  }
  // Characters with neither a token nor a byte token vanish.
  EXPECT_EQ(tok->Encode("zz", kPlain), (std::vector<TokenId>{}));
  EXPECT_EQ(tok->Encode("a", {.add_special = false}).size(), 1u);
  EXPECT_EQ(tok->vocab().Find("a"), a);  // the first of two equal texts

  // A vocabulary whose parts disagree is refused, not read out of bounds.
  Vocab bad;
  bad.kind = VocabKind::kSpm;
  bad.tokens = {"a", "b"};
  bad.types = {TokenType::kNormal};
  EXPECT_FALSE(Tokenizer::FromVocab(bad).ok());
  bad.types = {TokenType::kNormal, TokenType::kNormal};
  bad.attrs = {0};
  EXPECT_FALSE(Tokenizer::FromVocab(bad).ok());
  Vocab empty;
  empty.kind = VocabKind::kSpm;
  EXPECT_FALSE(Tokenizer::FromVocab(empty).ok());
}

// --- fixture behaviours -----------------------------------------------------

class SpmFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    SHIMMY_REQUIRE_FIXTURES();
    auto tok = LoadFixtureVocab("ggml-vocab-llama-spm.gguf");
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    tok_.emplace(std::move(tok).value());
  }
  const Tokenizer& tok() const { return *tok_; }
  TokenId Id(const std::string& text) const { return tok_->vocab().Find(text); }

  std::optional<Tokenizer> tok_;
};

TEST_F(SpmFixture, PrefixesASpaceAtTheStartAndAfterSpecialTokensOnly) {
  EXPECT_EQ(tok().Encode("Hello", kPlain), (std::vector<TokenId>{Id("\xE2\x96\x81Hello")}));
  // With add_special the BOS comes first and the text is still prefixed.
  EXPECT_EQ(tok().Encode("Hello"), (std::vector<TokenId>{1, Id("\xE2\x96\x81Hello")}));
  // Text after a special token is a new fragment and gets the prefix again.
  EXPECT_EQ(tok().Encode("Hello</s>Hello", kParse),
            (std::vector<TokenId>{Id("\xE2\x96\x81Hello"), 2, Id("\xE2\x96\x81Hello")}));
  // Without parse_special "</s>" is plain text.
  const auto plain = tok().Encode("Hello</s>", kPlain);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 2), 0);
}

TEST_F(SpmFixture, FallsBackToByteTokens) {
  // U+1F999 is no token in Llama's vocabulary: four byte tokens <0xF0>...
  const auto ids = tok().Encode("\xF0\x9F\xA6\x99", kPlain);
  EXPECT_EQ(ids,
            (std::vector<TokenId>{Id("\xE2\x96\x81"), 3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99}));
  // Invalid UTF-8 and a truncated sequence come back byte for byte.
  const std::string bad = "a\xFF\xC3";
  EXPECT_EQ(tok().Decode(tok().Encode(bad, kPlain)), bad);
}

TEST_F(SpmFixture, DecodeDropsOnlyTheAddedSpace) {
  for (const std::string text : {"Hello world", " Hello", "  two spaces", "\n\nnew lines\n",
                                 "tab\tand \xF0\x9F\xA6\x99 llama"}) {
    EXPECT_EQ(tok().Decode(tok().Encode(text)), text);
    EXPECT_EQ(tok().Decode(tok().Encode(text, kPlain)), text);
  }
  EXPECT_EQ(tok().Decode(tok().Encode("Hi</s>there", kParse), /*special=*/true), "Hi</s>there");
  EXPECT_EQ(tok().Decode(tok().Encode("Hi</s>there", kParse)), "Hithere");
}

TEST_F(SpmFixture, ControlTokensDecodeOnlyWithSpecial) {
  EXPECT_EQ(tok().TokenToPiece(1), "");
  EXPECT_EQ(tok().TokenToPiece(1, /*special=*/true), "<s>");
  EXPECT_EQ(tok().TokenToPiece(0), "");  // <unk>
  EXPECT_EQ(tok().TokenToPiece(3 + '\n'), "\n");
  EXPECT_EQ(tok().TokenToPiece(Id("\xE2\x96\x81the")), " the");
  EXPECT_EQ(tok().TokenToPiece(-1), "");
  EXPECT_EQ(tok().TokenToPiece(1 << 30), "");
}

TEST_F(SpmFixture, LongInputsStayFast) {
  // A priority-queue merge is O(n log n); a quadratic one would take hours
  // here (the bound is loose enough for sanitizer builds). 1 MB without a
  // space is one word of a million symbols.
  const std::string word(size_t{1} << 20, 'a');
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok().Encode(word, kPlain);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(ids.size(), 1000u);
  EXPECT_EQ(tok().Decode(ids), word);
  EXPECT_LT(s, 120.0);

  std::string text;
  while (text.size() < (size_t{1} << 20)) {
    text += "The quick brown fox jumps over the lazy dog, and then it rests for a while. ";
  }
  const auto t1 = std::chrono::steady_clock::now();
  const auto ids2 = tok().Encode(text, kPlain);
  const double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::printf("[ speed    ] llama-spm: %.1f MB/s on English text\n", text.size() / 1e6 / s2);
  EXPECT_EQ(tok().Decode(ids2), text);
}

TEST_F(SpmFixture, EncodesFromManyThreadsAtOnce) {
  // The encoder is immutable: concurrent calls share it without locks.
  const std::string text = "Hello world, \xF0\x9F\xA6\x99 and   spaces\n\tand more text. ";
  const auto want = tok().Encode(text);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (tok().Encode(text) != want) ++mismatches;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(SpmPhi3, ChatMarkersEatTheWhitespaceAfterThem) {
  SHIMMY_REQUIRE_FIXTURES();
  auto tok = LoadFixtureVocab("ggml-vocab-phi-3.gguf");
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  const TokenId user = tok->vocab().Find("<|user|>");
  const TokenId end = tok->vocab().Find("<|end|>");
  const auto a = tok->Encode("<|user|>\n  Hi<|end|>\n", kParse);
  const auto b = tok->Encode("<|user|>Hi<|end|>", kParse);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.front(), user);
  EXPECT_EQ(a.back(), end);
  // "</s>" is user-defined in Phi-3 but ends generation, so plain text
  // never produces it.
  const TokenId eos_text = tok->vocab().Find("</s>");
  const auto plain = tok->Encode("x</s>", kPlain);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), eos_text), 0);
  EXPECT_TRUE(tok->vocab().IsEog(eos_text));
}

// --- Gemma's conventions ------------------------------------------------------

// A miniature of a Gemma vocabulary: <pad> <eos> <bos> <unk> first, chat
// markers and HTML tags as user-defined pieces, byte fallback, no space
// prefix (add_space_prefix = false).
class GemmaStyle : public ::testing::Test {
 protected:
  void SetUp() override {
    TestVocab v;
    pad_ = v.Add("<pad>", 0, TokenType::kControl);
    eos_ = v.Add("<eos>", 0, TokenType::kControl);
    bos_ = v.Add("<bos>", 0, TokenType::kControl);
    unk_ = v.Add("<unk>", 0, TokenType::kUnknown);
    sot_ = v.Add("<start_of_turn>", 0, TokenType::kUserDefined);
    eot_ = v.Add("<end_of_turn>", 0, TokenType::kUserDefined);
    h1_ = v.Add("<h1>", 0, TokenType::kUserDefined);
    v.AddByteTokens();
    for (const char* c : {"H", "e", "l", "o", "w", "r", "d", "u", "s", "i"}) v.Add(c, -10);
    newline_ = v.Add("\n", -10);
    v.Add("\xE2\x96\x81", -6);
    two_spaces_ = v.Add("\xE2\x96\x81\xE2\x96\x81", -5);
    for (const char* p : {"He", "us", "er", "\xE2\x96\x81w", "or", "ld"}) v.Add(p, -5);
    v.Add("ll", -4);
    v.Add("orld", -4);
    v.Add("llo", -3);
    hello_ = v.Add("Hello", -2);
    user_ = v.Add("user", -3);
    hi_ = v.Add("Hi", -3);
    world_ = v.Add("\xE2\x96\x81world", -1);
    auto tok = LoadTestVocab("gemma-style", v, [&](gguf::GgufWriter& w) {
      w.Set("tokenizer.ggml.bos_token_id", gguf::Value::U32(static_cast<uint32_t>(bos_)));
      w.Set("tokenizer.ggml.eos_token_id", gguf::Value::U32(static_cast<uint32_t>(eos_)));
      w.Set("tokenizer.ggml.unknown_token_id", gguf::Value::U32(static_cast<uint32_t>(unk_)));
      w.Set("tokenizer.ggml.padding_token_id", gguf::Value::U32(static_cast<uint32_t>(pad_)));
      w.Set("tokenizer.ggml.add_bos_token", gguf::Value::Bool(true));
      w.Set("tokenizer.ggml.add_eos_token", gguf::Value::Bool(false));
      w.Set("tokenizer.ggml.add_space_prefix", gguf::Value::Bool(false));
    });
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    tok_.emplace(std::move(tok).value());
  }

  const Tokenizer& tok() const { return *tok_; }

  std::optional<Tokenizer> tok_;
  TokenId pad_, eos_, bos_, unk_, sot_, eot_, h1_, two_spaces_, hello_, user_, hi_, world_,
      newline_;
};

TEST_F(GemmaStyle, HasNoSpacePrefix) {
  EXPECT_EQ(tok().Encode("Hello world"), (std::vector<TokenId>{bos_, hello_, world_}));
  EXPECT_EQ(tok().Encode("  Hello", kPlain), (std::vector<TokenId>{two_spaces_, hello_}));
  EXPECT_EQ(tok().Decode(tok().Encode("Hello world")), "Hello world");
  EXPECT_EQ(tok().Decode(tok().Encode("  Hello")), "  Hello");
  EXPECT_EQ(tok().Decode(tok().Encode("Hello world"), /*special=*/true), "<bos>Hello world");
}

TEST_F(GemmaStyle, ChatTurnsSplitOnMarkersWithoutPrefixes) {
  const std::string turn = "<start_of_turn>user\nHi<end_of_turn>\n";
  EXPECT_EQ(tok().Encode(turn, kParse),
            (std::vector<TokenId>{sot_, user_, newline_, hi_, eot_, newline_}));
  EXPECT_EQ(tok().Decode(tok().Encode(turn, kParse), /*special=*/true), turn);
}

TEST_F(GemmaStyle, UserDefinedTokensSplitEvenWithoutParseSpecial) {
  const auto ids = tok().Encode("<h1>Hello<start_of_turn>", kPlain);
  EXPECT_EQ(ids, (std::vector<TokenId>{h1_, hello_, sot_}));
  // User-defined pieces decode as themselves without `special`.
  EXPECT_EQ(tok().Decode(ids), "<h1>Hello<start_of_turn>");
}

TEST_F(GemmaStyle, EndOfTurnActsAsControlToken) {
  // <end_of_turn> is stored as user-defined, but it ends generation, so it
  // is a control token: only parse_special produces it, and it is hidden
  // when decoding without `special`.
  EXPECT_TRUE(tok().vocab().IsEog(eot_));
  const auto plain = tok().Encode("Hi<end_of_turn>", kPlain);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), eot_), 0);
  EXPECT_EQ(tok().Decode(plain), "Hi<end_of_turn>");
  EXPECT_EQ(tok().Encode("Hi<end_of_turn>", kParse), (std::vector<TokenId>{hi_, eot_}));
  EXPECT_EQ(tok().TokenToPiece(eot_), "");
  EXPECT_EQ(tok().TokenToPiece(eot_, /*special=*/true), "<end_of_turn>");
  // Control tokens need parse_special.
  EXPECT_EQ(tok().Encode("<bos>", kParse), (std::vector<TokenId>{bos_}));
  const auto bos_text = tok().Encode("<bos>", kPlain);
  EXPECT_EQ(std::count(bos_text.begin(), bos_text.end(), bos_), 0);
}

TEST_F(GemmaStyle, UnknownCharactersBecomeBytes) {
  const TokenId byte0 = tok().vocab().Find("<0x00>");
  EXPECT_EQ(tok().Encode("\xF0\x9F\xA6\x99", kPlain),
            (std::vector<TokenId>{byte0 + 0xF0, byte0 + 0x9F, byte0 + 0xA6, byte0 + 0x99}));
  EXPECT_EQ(tok().Decode(tok().Encode("Hi \xF0\x9F\xA6\x99!")), "Hi \xF0\x9F\xA6\x99!");
}

}  // namespace
}  // namespace shimmy
