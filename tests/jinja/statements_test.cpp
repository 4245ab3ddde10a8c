// Statements: if, for (loop variables, else, filters, unpacking, break and
// continue), set and scoping, namespace, macros and call blocks, filter and
// with blocks, {% generation %}. Expected strings are Python jinja2's output.
#include <gtest/gtest.h>

#include "test_util.h"

namespace shimmy::jinja {
namespace {

using testing::Fails;
using testing::Render;

constexpr const char* kCtx = R"({
  "l": [3, 1, 2], "d": {"b": 1, "a": 2}, "e": [],
  "people": [{"name": "bob", "age": 30}, {"name": "al", "age": 25, "x": 1}]
})";

TEST(JinjaStatements, IfElifElse) {
  EXPECT_EQ(Render("{% if 0 %}a{% elif '' %}b{% elif 3 %}c{% else %}d{% endif %}"), "c");
  EXPECT_EQ(Render("{% if [] %}a{% else %}b{% endif %}"), "b");
}

TEST(JinjaStatements, LoopVariables) {
  EXPECT_EQ(
      Render("{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
             "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
             kCtx),
      "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
  EXPECT_EQ(
      Render("{% for x in l %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}|{% endfor %}", kCtx),
      "<3>1|3<1>2|1<2>|");
  EXPECT_EQ(Render("{% for x in l %}{{ loop.cycle('a', 'b') }}{% endfor %}", kCtx), "aba");
  EXPECT_EQ(
      Render("{% for x in [1, 1, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}"),
      "121");
}

TEST(JinjaStatements, ForElseFilterUnpackingAndControl) {
  EXPECT_EQ(Render("{% for x in e %}x{% else %}empty{% endfor %}", kCtx), "empty");
  EXPECT_EQ(
      Render("{% for x in l if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}",
             kCtx),
      "3:1/2 2:2/2 ");
  EXPECT_EQ(Render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", kCtx), "b=1;a=2;");
  EXPECT_EQ(Render("{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}"), "123");
  EXPECT_EQ(Render("{% for x in range(9) %}{% if x == 2 %}{% continue %}{% endif %}"
                   "{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
            "0134");
  // jinja2 quirk: the else block also runs when no iteration reached the end
  // of its body (every iteration left through break/continue).
  EXPECT_EQ(Render("{% for x in l %}{% break %}{% else %}else{% endfor %}", kCtx), "else");
  EXPECT_EQ(Render("{% for x in l %}{{ x }}{% else %}else{% endfor %}", kCtx), "312");
  // Filters are applied lazily: the unpacking of later items never happens.
  EXPECT_EQ(Render("{% for k, v in people if true %}{{ loop.index }}{% break %}{% endfor %}", kCtx),
            "1");
  EXPECT_TRUE(Fails("{% for x in none %}{% endfor %}", R"({"none": null})"));
  EXPECT_TRUE(Fails("{% for a, b in l %}{% endfor %}", kCtx));
  EXPECT_TRUE(Fails("{% break %}"));
}

TEST(JinjaStatements, ScopingFollowsJinja2) {
  EXPECT_EQ(Render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"), "2");
  // Each loop iteration starts from the outer value; nothing leaks out.
  EXPECT_EQ(
      Render("{% set x = 1 %}{% for i in l %}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}", kCtx),
      "4,2,3,1");
  EXPECT_EQ(Render("{% for i in l %}{% set y = i %}{% endfor %}[{{ y }}][{{ i }}]", kCtx), "[][]");
  EXPECT_EQ(Render("{% set ns = namespace(total=0) %}{% for i in l %}"
                   "{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
                   kCtx),
            "6");
  EXPECT_EQ(Render("{% set a, b = 1, 2 %}{{ a }}{{ b }}"), "12");
  EXPECT_EQ(Render("{% set blk | upper %}in {{ 1 }}{% endset %}[{{ blk }}]"), "[IN 1]");
  EXPECT_TRUE(Fails("{% set x = 5 %}{% set x.y = 1 %}"));
}

TEST(JinjaStatements, Macros) {
  EXPECT_EQ(Render("{% macro m(a, b=2, c='x') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}"
                   "{{ m(1) }} {{ m(1, 3) }} {{ m(1, c='y') }} [{{ m() }}]"),
            "1-2-x 1-3-x 1-2-y [-2-x]");
  EXPECT_EQ(
      Render("{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}"),
      "1(2,){'k': 3}");
  EXPECT_EQ(Render("{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(4) }}"), "8");
  EXPECT_EQ(Render("{% set g = 1 %}{% macro m() %}{{ g }}{% endmacro %}{% set g = 2 %}{{ m() }}"),
            "2");
  EXPECT_EQ(Render("{% macro m() %}x{% endmacro %}{{ m }}"), "<Macro 'm'>");
  EXPECT_TRUE(Fails("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"));
  EXPECT_TRUE(Fails("{% macro m(a) %}{% endmacro %}{{ m(b=1) }}"));
}

TEST(JinjaStatements, CallBlocks) {
  EXPECT_EQ(
      Render("{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}in{% endcall %}"),
      "[in]");
  EXPECT_EQ(Render("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}"
                   "{% call(v) each(l) %}<{{ v }}>{% endcall %}",
                   kCtx),
            "<3><1><2>");
}

TEST(JinjaStatements, FilterWithAndGenerationBlocks) {
  EXPECT_EQ(Render("{% filter upper %}hi {{ 'x' }}{% endfilter %}"), "HI X");
  EXPECT_EQ(Render("{% filter trim | replace('a', 'b') %}  aa  {% endfilter %}!"), "bb!");
  EXPECT_EQ(Render("{% with a = 1, b = 'two' %}{{ a }}{{ b }}{% endwith %}[{{ a }}]"), "1two[]");
  EXPECT_EQ(Render("{% generation %}gen{% endgeneration %}"), "gen");
}

TEST(JinjaStatements, UnknownTagsAndFiltersAreSyntaxErrors) {
  EXPECT_TRUE(Fails("{% do x %}"));
  EXPECT_TRUE(Fails("{% include 'x' %}"));
  EXPECT_TRUE(Fails("{{ 1 | nosuchfilter }}"));
  EXPECT_TRUE(Fails("{{ 1 is nosuchtest }}"));
  // Inside {% if %} or an inline if, an unknown filter only fails if used.
  EXPECT_EQ(Render("{% if false %}{{ 1 | from_json }}{% endif %}ok"), "ok");
  EXPECT_EQ(Render("{{ 1 | from_json if false else 'ok' }}"), "ok");
  EXPECT_TRUE(Fails("{% if true %}{{ 1 | from_json }}{% endif %}"));
}

}  // namespace
}  // namespace shimmy::jinja
