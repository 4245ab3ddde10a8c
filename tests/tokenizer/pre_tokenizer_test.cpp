// Pre-tokenizer splits. Expectations are worked out by hand from the
// published regexes (leftmost alternative wins, greedy, lookahead limited
// to the piece), not recorded from this implementation.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "tokenizer/pre_tokenizer_table.h"

namespace shimmy {
namespace {

using Words = std::vector<std::string>;

Words SplitWith(std::string_view pre, std::string_view text) {
  return PreTokenizer::ForName(pre).SplitToStrings(text);
}

TEST(PreTokenizer, NamesResolveToFamilies) {
  EXPECT_EQ(PreTokenizer::ForName("").family(), "default");
  EXPECT_EQ(PreTokenizer::ForName("no-such-model").family(), "default");
  EXPECT_EQ(PreTokenizer::ForName("llama-bpe").family(), "llama3");
  EXPECT_TRUE(PreTokenizer::ForName("llama-bpe").ignore_merges());
  EXPECT_TRUE(PreTokenizer::ForName("tekken").ignore_merges());
  EXPECT_FALSE(PreTokenizer::ForName("dbrx").ignore_merges());
  EXPECT_EQ(PreTokenizer::ForName("refact").family(), "starcoder");
  EXPECT_EQ(PreTokenizer::ForName("stablelm2").family(), "qwen2");
  EXPECT_EQ(PreTokenizer::ForName("llama4").family(), "gpt-4o");
}

// Every family's patterns compile (a failure would silently leave the text
// unsplit), and its pieces tile any input, without empty pieces.
TEST(PreTokenizer, EveryFamilyCompilesAndTilesItsInput) {
  // clang-format off
  const std::vector<std::string> alphabet = {
      "a", "Z", "é", "É", "ß", "1", "٣", "½", " ", "  ", "\t", "\n", "\r\n", "\xC2\xA0",
      "'", "'s", "'LL", ".", ",", "!", "?", "/", "$", "~", "-", "你", "好", "の", "カ", "한",
      "न", "\xE0\xA5\x8D", "🦙", "\xE2\x80\x8D", "\xEF\xB8\x8F", "<sentinel:12>", "IMGIMGABZ",
      "\xFF"};
  // clang-format on
  std::mt19937 rng(7);
  for (const PreTokenizerFamily& family : PreTokenizerFamilies()) {
    const std::string name(family.names.front());
    const PreTokenizer pre = PreTokenizer::ForName(name);
    ASSERT_EQ(pre.family(), name) << "a pattern of '" << name << "' does not compile";
    for (int round = 0; round < 200; ++round) {
      std::string text;
      const int n = static_cast<int>(rng() % 40);
      for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
      std::string storage;
      const std::string_view valid = SanitizeUtf8(text, storage);
      std::vector<TextSpan> spans;
      pre.Split(valid, spans);
      uint32_t at = 0;
      for (const TextSpan& s : spans) {
        ASSERT_EQ(s.begin, at) << name;
        ASSERT_LT(s.begin, s.end) << name;
        at = s.end;
      }
      ASSERT_EQ(at, valid.size()) << name;
    }
  }
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(SplitWith("gpt-2", "Hello world  \n 123 it's"),
            (Words{"Hello", " world", "  \n", " 123", " it", "'s"}));
  // Contractions are case-sensitive here.
  EXPECT_EQ(SplitWith("gpt-2", "IT'S"), (Words{"IT", "'", "S"}));
}

TEST(PreTokenizer, WhitespaceIsUnicodeWhiteSpace) {
  // NBSP is White_Space; U+180E (a format character now) is not, although
  // PCRE2's own \s would take it.
  EXPECT_EQ(SplitWith("gpt-2",
                      "a\xC2\xA0"
                      "b"),
            (Words{"a", "\xC2\xA0", "b"}));
  EXPECT_EQ(SplitWith("gpt-2", "a\xE1\xA0\x8E b"), (Words{"a", "\xE1\xA0\x8E", " b"}));
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(
      SplitWith("llama-bpe", "Hello  world\n\n  x 1234567 don'T"),
      (Words{"Hello", " ", " world", "\n\n", " ", " x", " ", "123", "456", "7", " don", "'T"}));
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(SplitWith("qwen2", "x 2024!"), (Words{"x", " ", "2", "0", "2", "4", "!"}));
}

TEST(PreTokenizer, Qwen35KeepsCombiningMarksInWords) {
  // न म स ् त े: the virama and the vowel sign are marks (Mn), not letters.
  const std::string namaste = "\u0928\u092E\u0938\u094D\u0924\u0947";
  EXPECT_EQ(SplitWith("qwen2", namaste), (Words{"\u0928\u092E\u0938", "\u094D\u0924", "\u0947"}));
  EXPECT_EQ(SplitWith("qwen35", " " + namaste), (Words{" " + namaste}));
}

TEST(PreTokenizer, DeepseekLlm) {
  // [\r\n] | cased letters | ASCII-ish punctuation (":-~" spans the Latin
  // letters too) | \s+$ | CJK | digits.
  EXPECT_EQ(SplitWith("deepseek-llm", "Hello, \u4E16\u754C! 12 ab\n"),
            (Words{"Hello", ",", " ", "\u4E16\u754C", "!", " ", "12", " ab", "\n"}));
}

TEST(PreTokenizer, DeepseekCoder) {
  // '=' is a symbol (Sm), not punctuation: it stays in the gap " = ".
  EXPECT_EQ(SplitWith("deepseek-coder", "int x1 = 42;\n"),
            (Words{"int", " x", "1", " = ", "4", "2", ";", "\n"}));
}

TEST(PreTokenizer, DeepseekV3) {
  EXPECT_EQ(SplitWith("deepseek-v3", "Hello\u4E16\u754C123,456 I'm"),
            (Words{"Hello", "\u4E16\u754C", "123", ",", "456", " I", "'m"}));
}

TEST(PreTokenizer, Gpt4oSplitsOnCase) {
  EXPECT_EQ(SplitWith("gpt-4o", "HelloWorld's \u00C9COLE \u00E9cole DON'T"),
            (Words{"Hello", "World's", " \u00C9COLE", " \u00E9cole", " DON'T"}));
  EXPECT_EQ(SplitWith("gpt-4o", " ..//\n\nx 12345"), (Words{" ..//\n\n", "x", " ", "123", "45"}));
  // Han is Lo, which joins either side of a word.
  EXPECT_EQ(SplitWith("gpt-4o", "\u4F60\u597Dworld \u4E2D\u6587abc"),
            (Words{"\u4F60\u597Dworld", " \u4E2D\u6587abc"}));
}

TEST(PreTokenizer, KimiK2KeepsHanApart) {
  EXPECT_EQ(SplitWith("kimi-k2", "\u4F60\u597Dworld \u4E2D\u6587abc"),
            (Words{"\u4F60\u597D", "world", " ", "\u4E2D\u6587", "abc"}));
}

TEST(PreTokenizer, Tekken) {
  EXPECT_EQ(SplitWith("tekken", "HelloWorld 123"), (Words{"Hello", "World", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, FalconAndDefaultSplitDigitsInThrees) {
  EXPECT_EQ(SplitWith("falcon", "Hello, world! 1234"),
            (Words{"Hello", ",", " world", "!", " ", "123", "4"}));
  EXPECT_EQ(SplitWith("", "3333333"), (Words{"333", "333", "3"}));
}

TEST(PreTokenizer, Bloom) {
  EXPECT_EQ(SplitWith("bloom", "Hello, world!\u4F60\u597D\u3002"),
            (Words{"Hello", ",", " world", "!", "\u4F60\u597D", "\u3002"}));
}

TEST(PreTokenizer, SuperBpeZeroWidthSplits) {
  // (?=(\d{3})+(?!\d)) matches empty strings; they cut digit runs so that
  // the groups at the end have three digits.
  EXPECT_EQ(SplitWith("superbpe", "1234567 89"), (Words{"1", "234", "567", " ", "89"}));
}

// The linear stand-ins for the two digit-grouping patterns give what PCRE2
// gives for the same regex (wrapped in (?:...) so that it runs as a regex).
TEST(PreTokenizer, DigitGroupingMatchesTheRegex) {
  const std::vector<std::pair<std::string_view, std::string_view>> pairs = {
      {R"((?=(\d{3})+(?!\d)))", R"((?:(?=(\d{3})+(?!\d))))"},
      {R"(\d{1,3}(?=(?:\d{3})*\b))", R"((?:\d{1,3}(?=(?:\d{3})*\b)))"}};
  const std::vector<std::string> alphabet = {"1", "2", "0", "\u0663", "\u00BD", "a",
                                             "_", " ", ".", "\u4F60", "\n"};
  std::mt19937 rng(3);
  for (const auto& [fast, slow] : pairs) {
    auto a = PreTokenizer::FromRegexes(std::vector<std::string_view>{fast});
    auto b = PreTokenizer::FromRegexes(std::vector<std::string_view>{slow});
    ASSERT_TRUE(a.ok() && b.ok());
    for (int round = 0; round < 3000; ++round) {
      std::string text;
      const int n = static_cast<int>(rng() % 16);
      for (int i = 0; i < n; ++i) text += alphabet[rng() % (i % 3 == 0 ? alphabet.size() : 4)];
      ASSERT_EQ(a->SplitToStrings(text), b->SplitToStrings(text)) << fast << " on '" << text << "'";
    }
  }
  // And they stay fast on a long number.
  const std::string digits(1 << 20, '7');
  EXPECT_EQ(SplitWith("superbpe", digits).size(), ((1u << 20) + 2) / 3);
  EXPECT_EQ(SplitWith("tiny_aya", digits + " x").size(), ((1u << 20) + 2) / 3 + 1);
}

TEST(PreTokenizer, EmptyMatchesAdvanceLikeRegexIterator) {
  const std::vector<std::string_view> patterns = {"x*"};
  auto pre = PreTokenizer::FromRegexes(patterns);
  ASSERT_TRUE(pre.ok()) << pre.error().message();
  // Empty matches at 0, 1, 4 and 5 cut too: the text before each is a gap
  // piece of its own.
  EXPECT_EQ(pre->SplitToStrings("abxxc"), (Words{"a", "b", "xx", "c"}));
}

TEST(PreTokenizer, BadPatternIsAnError) {
  const std::vector<std::string_view> patterns = {"(unclosed"};
  EXPECT_FALSE(PreTokenizer::FromRegexes(patterns).ok());
}

TEST(PreTokenizer, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(SplitWith("gpt-2",
                      "a\xFF"
                      "b"),
            (Words{"a", "\xEF\xBF\xBD", "b"}));
  std::string storage;
  EXPECT_EQ(SanitizeUtf8("ok \xC3\xA9", storage), "ok \xC3\xA9");
  // Truncated sequences: one U+FFFD per byte.
  EXPECT_EQ(SanitizeUtf8("\xE2\x82", storage), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // Overlong forms decode to their value, as in the reference.
  EXPECT_EQ(SanitizeUtf8("\xC1\xBF", storage), "\x7F");
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80", storage), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace shimmy
