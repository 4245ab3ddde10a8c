// Whitespace control and lexing: trim_blocks, lstrip_blocks, -/+ markers,
// comments, raw blocks, newline normalisation. Expected strings are Python
// jinja2's output under HF settings.
#include "jinja/lexer.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace shimmy::jinja {
namespace {

using testing::Fails;
using testing::Render;

TEST(JinjaLexer, TrimBlocksRemovesTheNewlineAfterABlockTag) {
  EXPECT_EQ(Render("a\n{% if true %}\nb\n{% endif %}\nc"), "a\nb\nc");
  EXPECT_EQ(Render("{% if true %}\n\nx{% endif %}"), "\nx");
  // Not after {{ }}.
  EXPECT_EQ(Render("{{ 1 }}\nx"), "1\nx");
}

TEST(JinjaLexer, LstripBlocksRemovesIndentBeforeBlockTags) {
  EXPECT_EQ(Render("a\n  {% if true %}\n  b\n  {% endif %}\nc"), "a\n  b\nc");
  EXPECT_EQ(Render("  {% if true %}x{% endif %}"), "x");
  // Only whitespace-only line prefixes are stripped; {{ }} is untouched.
  EXPECT_EQ(Render("a  {% if true %}b{% endif %}"), "a  b");
  EXPECT_EQ(Render("  {{ 1 }}"), "  1");
  // Comments are lstripped and trimmed too.
  EXPECT_EQ(Render("x\n    {# note #}\ny"), "x\ny");
}

TEST(JinjaLexer, MinusStripsAllWhitespaceOnThatSide) {
  EXPECT_EQ(Render("a  \n {%- if true -%} \n b {%- endif %}"), "ab");
  EXPECT_EQ(Render("x  {{- 1 -}}  \n y"), "x1y");
  EXPECT_EQ(Render("x {#- c -#} y"), "xy");
}

TEST(JinjaLexer, PlusDisablesLstripAndTrim) {
  EXPECT_EQ(Render("a\n    {%+ if true %}b{% endif +%}\nc"), "a\n    b\nc");
}

TEST(JinjaLexer, RawBlocksAreLiteral) {
  EXPECT_EQ(Render("{% raw %}{{ x }}{% if %}{% endraw %}"), "{{ x }}{% if %}");
  EXPECT_EQ(Render("{%- raw -%}  a  {%- endraw %}!"), "a!");
  // The newline after {% raw %} is kept (no trim_blocks on raw begin).
  EXPECT_EQ(Render("  {% raw %}\n  raw\n  {% endraw %}\nafter"), "\n  raw\nafter");
}

TEST(JinjaLexer, NewlinesAreNormalisedAndOneTrailingNewlineDropped) {
  EXPECT_EQ(Render("a\r\nb\r\n"), "a\nb");
  EXPECT_EQ(Render("a\n\n"), "a\n");
  EXPECT_EQ(Render("a\rb"), "a\nb");
  EXPECT_EQ(Render("line\r\n{% if true %}\r\nx\r\n{% endif %}\r\n"), "line\nx\n");
}

TEST(JinjaLexer, BracesInsideExpressionsDoNotCloseTags) {
  EXPECT_EQ(Render("{{ {'a': {'b': 1}} }}"), "{'a': {'b': 1}}");
  EXPECT_EQ(Render("{{ '}}' }}"), "}}");
  EXPECT_EQ(Render("{{ '{%' ~ '%}' }}"), "{%%}");
}

TEST(JinjaLexer, NumbersAndStrings) {
  EXPECT_EQ(Render("{{ 1_000 }} {{ 0x1F }} {{ 0b101 }} {{ 0o17 }} {{ 1e3 }} {{ 2.50 }}"),
            "1000 31 5 15 1000.0 2.5");
  EXPECT_EQ(Render(R"({{ 'it\'s' }}|{{ "a\"b" }}|{{ '\u00e9\x41\t' }}|{{ 'a' 'b' }}|{{ '\d' }})"),
            "it's|a\"b|\xC3\xA9"
            "A\t|ab|\\d");
}

TEST(JinjaLexer, TokensCarryPositions) {
  auto tokens = Tokenize("ab\n  {{ x }}");
  ASSERT_TRUE(tokens.ok());
  ASSERT_GE(tokens->size(), 3u);
  EXPECT_EQ((*tokens)[0].kind, TokenKind::kText);
  EXPECT_EQ((*tokens)[1].kind, TokenKind::kVarBegin);
  EXPECT_EQ((*tokens)[2].text, "x");
  EXPECT_EQ((*tokens)[2].line, 2);
  EXPECT_EQ((*tokens)[2].column, 6);
}

TEST(JinjaLexer, MalformedInputFails) {
  EXPECT_TRUE(Fails("{{ 'unterminated }}"));
  EXPECT_TRUE(Fails("{# unclosed"));
  EXPECT_TRUE(Fails("{% raw %}unclosed"));
  EXPECT_TRUE(Fails("{{ (1 }}"));
  EXPECT_TRUE(Fails("{{ 1 ) }}"));
  EXPECT_TRUE(Fails("{{ x"));
  EXPECT_TRUE(Fails("{{ 1 $ 2 }}"));
}

}  // namespace
}  // namespace shimmy::jinja
