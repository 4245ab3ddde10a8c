// WordPiece ("bert" vocabularies): BERT's basic normalisation, greedy
// longest-match subwords, CLS/SEP framing and decoding, on a synthetic
// vocabulary spelled the way GGUF stores BERT's ("▁" marks a word start,
// continuations are bare).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "spm_test_vocab.h"

namespace shimmy {
namespace {

using testing::LoadFixtureVocab;
using testing::LoadTestVocab;
using testing::TestVocab;

constexpr EncodeOptions kPlain{.add_special = false, .parse_special = false};

std::string W(const std::string& word) { return "\xE2\x96\x81" + word; }  // word start

class WordPiece : public ::testing::Test {
 protected:
  void SetUp() override { Load(true, true); }

  void Load(bool lowercase, bool strip_accents) {
    v_ = TestVocab{};
    v_.model = "bert";
    pad_ = v_.Add("[PAD]", 0, TokenType::kControl);
    unk_ = v_.Add("[UNK]", 0, TokenType::kControl);
    cls_ = v_.Add("[CLS]", 0, TokenType::kControl);
    sep_ = v_.Add("[SEP]", 0, TokenType::kControl);
    for (const std::string w : {"hello", "world", "un", "a", ",", ".", "!", "'", "s", "cafe", "$",
                                "5", "\xE4\xBD\xA0", "\xE5\xA5\xBD", "Hello", "caf\xC3\xA9"}) {
      v_.Add(W(w));
    }
    for (const char* piece : {"aff", "able", "ab", "le", "s"}) v_.Add(piece);
    auto tok = LoadTestVocab("wordpiece", v_, [&](gguf::GgufWriter& w) {
      w.Set("tokenizer.ggml.unknown_token_id", gguf::Value::U32(static_cast<uint32_t>(unk_)));
      w.Set("tokenizer.ggml.cls_token_id", gguf::Value::U32(static_cast<uint32_t>(cls_)));
      w.Set("tokenizer.ggml.seperator_token_id", gguf::Value::U32(static_cast<uint32_t>(sep_)));
      w.Set("tokenizer.ggml.padding_token_id", gguf::Value::U32(static_cast<uint32_t>(pad_)));
      w.Set("tokenizer.ggml.normalizer.lowercase", gguf::Value::Bool(lowercase));
      w.Set("tokenizer.ggml.normalizer.strip_accents", gguf::Value::Bool(strip_accents));
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
  TokenId pad_, unk_, cls_, sep_;
};

TEST_F(WordPiece, LowercasesAndSplitsPunctuation) {
  EXPECT_EQ(Enc("Hello, World!"), Ids({W("hello"), W(","), W("world"), W("!")}));
  EXPECT_EQ(Enc("hello'S"), Ids({W("hello"), W("'"), W("s")}));
  // ASCII symbols split like punctuation.
  EXPECT_EQ(Enc("$5"), Ids({W("$"), W("5")}));
}

TEST_F(WordPiece, TakesTheLongestPieceFirst) {
  EXPECT_EQ(Enc("unaffable"), Ids({W("un"), "aff", "able"}));
  // "a" + "ble"? No: at "able" the longest piece is "able".
  EXPECT_EQ(Enc("aable"), Ids({W("a"), "able"}));
  EXPECT_EQ(Enc("hellos"), Ids({W("hello"), "s"}));
}

TEST_F(WordPiece, AWordWithAnUncoveredPartIsUnknown) {
  EXPECT_EQ(Enc("xyz"), (std::vector<TokenId>{unk_}));
  // The pieces found before the gap are dropped too.
  EXPECT_EQ(Enc("helloxyz world"), (std::vector<TokenId>{unk_, Id(W("world"))}));
}

TEST_F(WordPiece, StripsAccentsOfPrecomposedLettersAndCombiningMarks) {
  EXPECT_EQ(Enc("Caf\xC3\xA9"), Ids({W("cafe")}));   // precomposed é
  EXPECT_EQ(Enc("CAF\xC3\x89"), Ids({W("cafe")}));   // É
  EXPECT_EQ(Enc("cafe\xCC\x81"), Ids({W("cafe")}));  // e + U+0301
}

TEST_F(WordPiece, NormalisationFlagsComeFromTheFile) {
  Load(/*lowercase=*/false, /*strip_accents=*/false);
  EXPECT_EQ(Enc("Hello"), Ids({W("Hello")}));
  EXPECT_EQ(Enc("caf\xC3\xA9"), Ids({W("caf\xC3\xA9")}));
  EXPECT_EQ(Enc("hello"), Ids({W("hello")}));
}

TEST_F(WordPiece, SplitsCjkIdeographsAndUnicodeWhitespace) {
  EXPECT_EQ(Enc("\xE4\xBD\xA0\xE5\xA5\xBD"), Ids({W("\xE4\xBD\xA0"), W("\xE5\xA5\xBD")}));
  // NBSP, ideographic space, tab and newline all separate words.
  EXPECT_EQ(Enc("hello\xC2\xA0world\xE3\x80\x80hello\tworld\n"),
            Ids({W("hello"), W("world"), W("hello"), W("world")}));
}

TEST_F(WordPiece, DropsControlAndFormatCharactersAndInvalidBytes) {
  // U+200B (format), U+0007 (control), NUL and a stray byte vanish.
  EXPECT_EQ(Enc(std::string("hel\xE2\x80\x8Blo\x07 wor\0ld\xFF", 17)),
            Ids({W("hello"), W("world")}));
  EXPECT_TRUE(Enc("").empty());
  EXPECT_TRUE(Enc(" \t\n").empty());
}

TEST_F(WordPiece, AddSpecialFramesWithClsAndSep) {
  EXPECT_EQ(tok_->Encode("hello"), (std::vector<TokenId>{cls_, Id(W("hello")), sep_}));
  EXPECT_EQ(tok_->Encode(""), (std::vector<TokenId>{cls_, sep_}));
  // "[SEP]" in text is a control token: only parse_special splits it out.
  EXPECT_EQ(tok_->Encode("a[SEP]a", {.add_special = false, .parse_special = true}),
            (std::vector<TokenId>{Id(W("a")), sep_, Id(W("a"))}));
}

TEST_F(WordPiece, DecodeJoinsWordsAndGluesPunctuation) {
  EXPECT_EQ(tok_->Decode(tok_->Encode("Hello, world!")), "hello, world!");
  EXPECT_EQ(tok_->Decode(tok_->Encode("unaffable hellos")), "unaffable hellos");
  EXPECT_EQ(tok_->Decode(tok_->Encode("hello's")), "hello's");
  EXPECT_EQ(tok_->Decode(tok_->Encode("hello"), /*special=*/true), "[CLS]hello[SEP]");
}

TEST(WordPieceFixture, EncodesFromManyThreadsAtOnce) {
  SHIMMY_REQUIRE_FIXTURES();
  auto tok = LoadFixtureVocab("ggml-vocab-bert-bge.gguf");
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  const std::string text = "Hello, World! Caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD unaffable";
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

TEST(WordPieceFixture, BgeVocabularyBasics) {
  SHIMMY_REQUIRE_FIXTURES();
  auto tok = LoadFixtureVocab("ggml-vocab-bert-bge.gguf");
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  EXPECT_EQ(tok->Encode("Hello world"), (std::vector<TokenId>{101, 7592, 2088, 102}));
  EXPECT_EQ(tok->Decode(tok->Encode("Hello, world! It's  fine.")), "hello, world! it's fine.");

  // One long word and long text stay linear.
  const std::string word(size_t{1} << 20, 'a');
  const auto ids = tok->Encode(word, kPlain);
  EXPECT_GT(ids.size(), 1000u);
  std::string text;
  while (text.size() < (size_t{1} << 20)) {
    text += "The quick brown fox jumps over the lazy dog, and then it rests for a while. ";
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids2 = tok->Encode(text, kPlain);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ speed    ] bert-bge: %.1f MB/s on English text\n", text.size() / 1e6 / s);
  EXPECT_GT(ids2.size(), text.size() / 8);
}

}  // namespace
}  // namespace shimmy
