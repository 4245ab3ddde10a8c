// Splitting text on special tokens (the Tokenizer facade, exercised through
// a SentencePiece vocabulary): priority of longer tokens, lstrip/rstrip,
// parse_special, and equivalence with the reference's token-by-token
// algorithm on random inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <random>

#include "spm_test_vocab.h"

namespace shimmy {
namespace {

// A vocabulary in which every character of the alphabet is a token and no
// two characters merge, so Encode's output spells out exactly how the text
// was split: one id per plain byte, one per special token.
struct SplitVocab {
  Vocab vocab;
  std::vector<TokenId> char_id = std::vector<TokenId>(256, kNoToken);

  SplitVocab() {
    vocab.kind = VocabKind::kSpm;
    vocab.model = "llama";
    vocab.add_space_prefix = false;
    Add("<unk>", TokenType::kUnknown);
    vocab.unk = 0;
    for (char c : std::string("ab \n")) {
      // The SPM encoder writes spaces as "▁".
      char_id[static_cast<uint8_t>(c)] = Add(c == ' ' ? "\xE2\x96\x81" : std::string(1, c));
    }
  }
  TokenId Add(const std::string& text, TokenType type = TokenType::kNormal, uint8_t attr = 0) {
    vocab.tokens.push_back(text);
    vocab.types.push_back(type);
    vocab.scores.push_back(0.0f);
    vocab.attrs.push_back(
        attr |
        (type == TokenType::kControl || type == TokenType::kUnknown ? token_attr::kControl : 0));
    return static_cast<TokenId>(vocab.tokens.size() - 1);
  }
};

// The reference's algorithm, literally: for each special token, longest
// first, split every remaining text fragment at each occurrence, left to
// right, stripping ASCII whitespace beside lstrip/rstrip tokens.
std::vector<TokenId> NaiveSplit(const SplitVocab& sv, const std::string& text, bool parse_special) {
  struct Frag {
    std::string text;
    TokenId id;
  };
  std::list<Frag> frags{{text, kNoToken}};
  std::vector<TokenId> order;
  const Vocab& v = sv.vocab;
  for (size_t i = 0; i < v.size(); ++i) {
    const auto id = static_cast<TokenId>(i);
    if (v.types[i] == TokenType::kControl || v.types[i] == TokenType::kUserDefined ||
        v.types[i] == TokenType::kUnknown) {
      order.push_back(id);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](TokenId a, TokenId b) {
    return v.tokens[static_cast<size_t>(a)].size() > v.tokens[static_cast<size_t>(b)].size();
  });
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  for (TokenId id : order) {
    if (!parse_special && v.IsControlLike(id)) continue;
    const std::string tt(v.tokens[static_cast<size_t>(id)]);
    const uint8_t attr = v.attr(id);
    for (auto it = frags.begin(); it != frags.end(); ++it) {
      if (it->id != kNoToken) continue;
      std::string rest = it->text;
      std::vector<Frag> parts;
      for (size_t at; (at = rest.find(tt)) != std::string::npos;) {
        std::string left = rest.substr(0, at);
        if (attr & token_attr::kLstrip) {
          while (!left.empty() && is_space(left.back())) left.pop_back();
        }
        if (!left.empty()) parts.push_back({left, kNoToken});
        parts.push_back({"", id});
        rest = rest.substr(at + tt.size());
        if (attr & token_attr::kRstrip) {
          size_t k = 0;
          while (k < rest.size() && is_space(rest[k])) ++k;
          rest = rest.substr(k);
        }
      }
      if (parts.empty()) continue;
      if (!rest.empty()) parts.push_back({rest, kNoToken});
      it = frags.erase(it);
      it = frags.insert(it, parts.begin(), parts.end());
      std::advance(it, static_cast<std::ptrdiff_t>(parts.size()) - 1);
    }
  }
  std::vector<TokenId> out;
  for (const Frag& f : frags) {
    if (f.id != kNoToken) {
      out.push_back(f.id);
      continue;
    }
    for (char c : f.text) out.push_back(sv.char_id[static_cast<uint8_t>(c)]);
  }
  return out;
}

TEST(SpmSpecialTokens, LongerTokensWinEverywhere) {
  SplitVocab sv;
  const TokenId ab = sv.Add("ab", TokenType::kUserDefined);
  const TokenId bab = sv.Add("bab", TokenType::kUserDefined);
  auto tok = Tokenizer::FromVocab(sv.vocab);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  // "bab" is split out first, although "ab" occurs earlier in "abab".
  const TokenId a = sv.char_id['a'];
  EXPECT_EQ(tok->Encode("abab", {.add_special = false}), (std::vector<TokenId>{a, bab}));
  EXPECT_EQ(tok->Encode("abaab", {.add_special = false}), (std::vector<TokenId>{ab, a, ab}));
}

TEST(SpmSpecialTokens, StripFlagsRemoveAdjacentAsciiWhitespace) {
  SplitVocab sv;
  const TokenId l = sv.Add("<l>", TokenType::kControl, token_attr::kLstrip);
  const TokenId r = sv.Add("<r>", TokenType::kUserDefined, token_attr::kRstrip);
  auto tok = Tokenizer::FromVocab(sv.vocab);
  ASSERT_TRUE(tok.ok());
  const TokenId a = sv.char_id['a'];
  const TokenId sp = sv.char_id[' '];
  const EncodeOptions parse{.add_special = false, .parse_special = true};
  EXPECT_EQ(tok->Encode("a \n <l> a", parse), (std::vector<TokenId>{a, l, sp, a}));
  EXPECT_EQ(tok->Encode("a <r> \n a ", parse), (std::vector<TokenId>{a, sp, r, a, sp}));
  EXPECT_EQ(tok->Encode("<r>   <l>", parse), (std::vector<TokenId>{r, l}));
  // Control tokens need parse_special; their strip flags do nothing then.
  const auto plain = tok->Encode("a <l>", {.add_special = false});
  EXPECT_EQ(plain.size(), 5u);
}

TEST(SpmSpecialTokens, MatchesTheReferenceAlgorithmOnRandomText) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    SplitVocab sv;
    const int n_specials = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n_specials; ++k) {
      // Each special contains a space: the encoder sees spaces as "▁", so
      // it can never rebuild a special token from plain text by merging
      // (the reference would do that, and this model of it would not).
      std::string text;
      const int len = static_cast<int>(rng() % 4);
      for (int j = 0; j < len; ++j) text.push_back("ab \n"[rng() % 4]);
      text.insert(rng() % (text.size() + 1), 1, ' ');
      if (sv.vocab.Find(text) != kNoToken) continue;
      const TokenType type = rng() % 2 ? TokenType::kControl : TokenType::kUserDefined;
      const uint8_t attr = static_cast<uint8_t>((rng() % 3 == 0 ? token_attr::kLstrip : 0) |
                                                (rng() % 3 == 0 ? token_attr::kRstrip : 0));
      sv.Add(text, type, attr);
    }
    auto tok = Tokenizer::FromVocab(sv.vocab);
    ASSERT_TRUE(tok.ok());
    for (int t = 0; t < 20; ++t) {
      std::string text;
      const int len = static_cast<int>(rng() % 40);
      for (int j = 0; j < len; ++j) text.push_back("ab \n"[rng() % 4]);
      for (bool parse : {false, true}) {
        const auto got = tok->Encode(text, {.add_special = false, .parse_special = parse});
        const auto want = NaiveSplit(sv, text, parse);
        ASSERT_EQ(got, want) << "round " << round << " text '" << text << "' parse " << parse;
      }
    }
  }
}

TEST(SpmSpecialTokens, ManySpecialTokensDoNotSlowLongText) {
  // Thousands of user-defined tokens (Gemma has ~6000) must not make
  // splitting cost O(n_specials · n).
  SplitVocab sv;
  for (int i = 0; i < 5000; ++i) sv.Add("<tag" + std::to_string(i) + ">", TokenType::kUserDefined);
  auto tok = Tokenizer::FromVocab(sv.vocab);
  ASSERT_TRUE(tok.ok());
  const std::string unit = "ab ab\n<tag42>ab";
  std::string text;
  size_t n_units = 0;
  for (; text.size() < (size_t{2} << 20); ++n_units) text += unit;
  const auto ids = tok->Encode(text, {.add_special = false});
  EXPECT_EQ(static_cast<size_t>(std::count(ids.begin(), ids.end(), sv.vocab.Find("<tag42>"))),
            n_units);
}

}  // namespace
}  // namespace shimmy
