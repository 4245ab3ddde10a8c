#include "sampling/grammar.h"

#include <gtest/gtest.h>

#include <random>

#include "base/utf8.h"
#include "grammar_test_util.h"
#include "sampling/grammar_matcher.h"
#include "sampling/token_trie.h"
#include "sampling/utf8_ranges.h"

namespace shimmy {
namespace {

using testing::IsPrefix;
using testing::Matches;
using testing::MustParse;

TEST(Grammar, LiteralsAlternativesAndGroups) {
  auto g = MustParse(R"(root ::= "yes" | "no" ( "!" | "?" )  # a comment
  )");
  EXPECT_TRUE(Matches(g, "yes"));
  EXPECT_TRUE(Matches(g, "no!"));
  EXPECT_TRUE(Matches(g, "no?"));
  EXPECT_FALSE(Matches(g, "no"));
  EXPECT_FALSE(Matches(g, "yes!"));
  EXPECT_FALSE(Matches(g, ""));
  EXPECT_TRUE(IsPrefix(g, "n"));
  EXPECT_FALSE(IsPrefix(g, "x"));
}

TEST(Grammar, RepetitionBounds) {
  auto g = MustParse(R"(root ::= [0-9]{2,4} ("ab"){0,2} x*
x ::= "-" "z"?)");
  EXPECT_FALSE(Matches(g, "1"));
  EXPECT_TRUE(Matches(g, "12"));
  EXPECT_TRUE(Matches(g, "1234"));
  EXPECT_FALSE(Matches(g, "12345"));
  EXPECT_TRUE(Matches(g, "12abab"));
  EXPECT_FALSE(Matches(g, "12ababab"));
  EXPECT_TRUE(Matches(g, "99ab--z-z-"));
  auto plus = MustParse(R"(root ::= "a"+ "b"?)");
  EXPECT_FALSE(Matches(plus, ""));
  EXPECT_TRUE(Matches(plus, std::string(10000, 'a')));
  EXPECT_TRUE(Matches(plus, "aab"));
}

TEST(Grammar, RulesMayComeInAnyOrderAndRecurse) {
  auto g = MustParse(R"(root ::= list
list ::= "[" ( item ( "," item )* )? "]"
item ::= list | [a-z]+)");
  EXPECT_TRUE(Matches(g, "[]"));
  EXPECT_TRUE(Matches(g, "[a,[b,[]],cd]"));
  EXPECT_FALSE(Matches(g, "[a,]"));
  // Deep nesting is bounded by the input, not by a recursion limit.
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_TRUE(Matches(g, deep));
}

TEST(Grammar, ClassesAreCodePointsEncodedAsUtf8) {
  auto g = MustParse(R"(root ::= [^"\\\x00-\x1F]* "." [é-ê] .)");
  EXPECT_TRUE(Matches(g, "abc\xC3\xA9\xE2\x82\xAC.\xC3\xA9\xF0\x9F\x98\x80"));  // é € . é 😀
  EXPECT_TRUE(Matches(g, ".\xC3\xAAx"));
  EXPECT_FALSE(Matches(g, ".\xC3\xABx"));         // ë is outside [é-ê]
  EXPECT_FALSE(IsPrefix(g, "a\"b"));              // excluded character
  EXPECT_FALSE(IsPrefix(g, "\x01"));              // control character
  EXPECT_FALSE(IsPrefix(g, "\xC3\x28"));          // broken sequence
  EXPECT_FALSE(IsPrefix(g, "\xED\xA0\x80"));      // an encoded surrogate
  EXPECT_FALSE(IsPrefix(g, "\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsPrefix(g, "\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_TRUE(IsPrefix(g, "\xE2\x82"));           // a character cut short is a prefix
}

TEST(Grammar, Escapes) {
  auto g = MustParse(R"(root ::= "\"\\\n\t\x41\u00e9" [\]\-])");
  EXPECT_TRUE(Matches(g, "\"\\\n\tA\xC3\xA9]"));
  EXPECT_TRUE(Matches(g, "\"\\\n\tA\xC3\xA9-"));
}

TEST(Grammar, Utf8SequencesCoverExactlyTheScalarValues) {
  auto seqs = Utf8Sequences(0, 0x10FFFF);
  auto matches = [&](const std::string& bytes) {
    int n = 0;
    for (const auto& seq : seqs) {
      if (seq.size() != bytes.size()) continue;
      bool ok = true;
      for (size_t i = 0; i < seq.size() && ok; ++i) {
        const auto b = static_cast<uint8_t>(bytes[i]);
        ok = b >= seq[i].lo && b <= seq[i].hi;
      }
      n += ok ? 1 : 0;
    }
    return n;
  };
  for (char32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x11000 ? 1 : 97)) {
    std::string bytes;
    utf8::Append(bytes, cp);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    EXPECT_EQ(matches(bytes), surrogate ? 0 : 1) << std::hex << static_cast<uint32_t>(cp);
  }
  // A narrow range splits where continuation bytes wrap.
  auto narrow = Utf8Sequences(0x7FF, 0x801);
  EXPECT_EQ(narrow.size(), 2u);
}

TEST(Grammar, ParseErrorsAreMessagesNotCrashes) {
  const char* bad[] = {
      "",                                // no root
      "root ::= missing",                // undefined
      "root ::= root \"a\" | \"b\"",     // left recursion
      "root ::= a\na ::= \"x\"? root",   // left recursion through a nullable prefix
      "root ::= \"a\" root",             // can never finish
      "root ::= \"abc",                  // unterminated
      "root ::= [a-",                    // unterminated class
      "root ::= [z-a]",                  // reversed
      "root ::= \"\\q\"",                // unknown escape
      "root ::= \"a\"{5,2}",             // min > max
      "root ::= \"a\"{1000001}",         // too many
      "root ::= ( \"a\" ",               // unclosed group
      "root ::= \"a\"\nroot ::= \"b\"",  // defined twice
      "root ::= \"\\uD800\"",            // surrogate escape
      "root ::= @",                      // junk
  };
  for (const char* text : bad) {
    auto g = Grammar::Parse(text);
    EXPECT_FALSE(g.ok()) << text;
  }
  auto deep =
      Grammar::Parse("root ::= " + std::string(100000, '(') + "\"a\"" + std::string(100000, ')'));
  EXPECT_FALSE(deep.ok());
}

TEST(Grammar, EmptyLoopsTerminate) {
  auto g = MustParse(R"(root ::= ( "a"? )* ( () )* "b")");
  EXPECT_TRUE(Matches(g, "b"));
  EXPECT_TRUE(Matches(g, "aaab"));
}

TEST(Grammar, StateLimitsGiveErrors) {
  // Nested counted repetitions have quadratically many parse states.
  auto g = MustParse(R"(root ::= ( "a"{0,300} ){0,300} "b")");
  GrammarLimits small;
  small.max_nodes = 2000;
  auto m = GrammarMatcher::Create(g, small);
  ASSERT_TRUE(m.ok());
  Status st;
  for (int i = 0; i < 2000 && st.ok(); ++i) st = m->Accept("a");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("grammar"), std::string::npos);
  // The matcher keeps its last good state.
  EXPECT_TRUE(m->CanContinue());

  // Many parses of one prefix: 64 alternatives all starting with "a".
  std::string alts = "root ::= \"a\" y0";
  for (int i = 1; i < 64; ++i) alts += " | \"a\" y" + std::to_string(i);
  for (int i = 0; i < 64; ++i)
    alts += "\ny" + std::to_string(i) + " ::= \"b\" \"" + std::to_string(i) + "\"";
  GrammarLimits tiny;
  tiny.max_stacks_per_state = 16;
  auto m2 = GrammarMatcher::Create(MustParse(alts), tiny);
  ASSERT_FALSE(m2.ok());
  EXPECT_NE(m2.error().message().find("ambiguous"), std::string::npos);
}

TEST(Grammar, CompleteAndContinue) {
  auto g = MustParse(R"(root ::= "a" "b"?)");
  auto m = GrammarMatcher::Create(g);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->IsComplete());
  ASSERT_TRUE(m->Accept("a").ok());
  EXPECT_TRUE(m->IsComplete());
  EXPECT_TRUE(m->CanContinue());
  ASSERT_TRUE(m->Accept("b").ok());
  EXPECT_TRUE(m->IsComplete());
  EXPECT_FALSE(m->CanContinue());
  EXPECT_FALSE(m->Accept("b").ok());
  m->Reset();
  EXPECT_FALSE(m->IsComplete());
}

TEST(TokenTrie, MaskOverAHandMadeVocabulary) {
  const std::vector<std::string> pieces = {"",    "a",  "b",  "ab", "abc", "{",
                                           "{\"", "\"", "ba", "a",  "",    "abcd"};
  auto trie = TokenTrie::Build(pieces);
  EXPECT_EQ(trie->n_tokens(), pieces.size());
  auto g = MustParse(R"(root ::= "a" "b"* "c"?)");
  auto m = GrammarMatcher::Create(g);
  ASSERT_TRUE(m.ok());
  auto allowed = [&]() {
    std::vector<int> ids;
    auto mask = m->AllowedTokens(*trie);
    EXPECT_TRUE(mask.ok());
    for (size_t i = 0; i < pieces.size(); ++i) {
      if ((*mask)->allowed(static_cast<int32_t>(i))) ids.push_back(static_cast<int>(i));
    }
    return ids;
  };
  EXPECT_EQ(allowed(), (std::vector<int>{1, 3, 4, 9}));  // a, ab, abc, a (twice in the vocabulary)
  ASSERT_TRUE(m->Accept("ab").ok());
  EXPECT_EQ(allowed(), (std::vector<int>{2}));  // b ("c" is not a token, "ba" is rejected)
  ASSERT_TRUE(m->Accept("bc").ok());
  EXPECT_EQ(allowed(), std::vector<int>{});

  std::vector<float> logits(pieces.size() + 3, 1.0f);  // extra ids past the trie are masked too
  m->Reset();
  auto mask = m->AllowedTokens(*trie);
  ASSERT_TRUE(mask.ok());
  (*mask)->Apply(logits);
  for (size_t i = 0; i < logits.size(); ++i) {
    EXPECT_EQ(std::isinf(logits[i]), !(*mask)->allowed(static_cast<int32_t>(i))) << i;
  }
}

// The trie walk must agree with testing each token on its own.
TEST(TokenTrie, MaskEqualsBruteForceOnRandomWalks) {
  auto g = MustParse(R"(root ::= obj
obj ::= "{" ( pair ( "," " "? pair )* )? "}"
pair ::= "\"" [a-z\xE9]{0,5} "\"" ":" ( [0-9]+ | obj ))");
  std::mt19937 rng(7);
  const std::string alphabet = "{}\":, ab9\xC3\xA9";
  std::vector<std::string> pieces(400);
  for (auto& p : pieces) {
    const int len = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < len; ++i) p += alphabet[rng() % alphabet.size()];
  }
  auto trie = TokenTrie::Build(pieces);
  for (int walk = 0; walk < 20; ++walk) {
    auto m = GrammarMatcher::Create(g);
    ASSERT_TRUE(m.ok());
    for (int step = 0; step < 30; ++step) {
      auto mask = m->AllowedTokens(*trie);
      ASSERT_TRUE(mask.ok());
      std::vector<int32_t> ok;
      for (size_t id = 0; id < pieces.size(); ++id) {
        auto can = m->CanAccept(pieces[id]);
        ASSERT_TRUE(can.ok());
        EXPECT_EQ(*can, (*mask)->allowed(static_cast<int32_t>(id))) << pieces[id];
        if (*can) ok.push_back(static_cast<int32_t>(id));
      }
      if (ok.empty()) break;
      ASSERT_TRUE(m->Accept(pieces[static_cast<size_t>(ok[rng() % ok.size()])]).ok());
    }
  }
}

}  // namespace
}  // namespace shimmy
