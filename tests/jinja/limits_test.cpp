// Hostile templates end with a clear error instead of exhausting the stack,
// memory or time; errors name the line and column.
#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace shimmy::jinja {
namespace {

using testing::Render;
using testing::RenderString;

std::string ErrorOf(const std::string& source, const RenderOptions& options = {}) {
  auto r = RenderString(source, "{}", options);
  return r ? "(rendered)" : r.error().message();
}

TEST(JinjaLimits, InfiniteMacroRecursionStops) {
  EXPECT_NE(ErrorOf("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("nested deeper"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}"
                    "{{ a() }}")
                .find("nested deeper"),
            std::string::npos);
  // Legitimate recursion well below the limit works.
  EXPECT_EQ(Render("{% macro f(n) %}{% if n %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
                   "{{ f(50) }}")
                .size(),
            91u);
}

TEST(JinjaLimits, HugeLoopsRunOutOfBudget) {
  RenderOptions options;
  options.max_steps = 200000;
  const std::string error = ErrorOf(
      "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}"
      "{% endfor %}",
      options);
  EXPECT_NE(error.find("budget"), std::string::npos) << error;
  // The sandbox's range() cap, as in jinja2.
  EXPECT_NE(ErrorOf("{{ range(1000000) | length }}").find("Range too big"), std::string::npos);
}

TEST(JinjaLimits, DefaultBudgetStopsNestedLoops) {
  // 10^10 iterations; the default budget ends it (in about a second).
  EXPECT_NE(ErrorOf("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                    "{% endfor %}")
                .find("budget"),
            std::string::npos);
}

TEST(JinjaLimits, BuiltinWorkIsChargedToTheBudget) {
  // Few statements, but each one sorts, copies or scans a large value: the
  // work of built-ins counts, so these stop long before 100000 iterations.
  RenderOptions options;
  options.max_steps = 1'000'000;
  EXPECT_NE(ErrorOf("{% set big = range(100000) | list %}{% for i in range(100000) %}"
                    "{% set x = big | sort %}{% endfor %}",
                    options)
                .find("budget"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{% set s = 'x' * 1000000 %}{% for i in range(100000) %}"
                    "{% set t = s ~ 'y' %}{% set u = s.replace('x', 'y') %}{% endfor %}",
                    options)
                .find("budget"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{% set big = range(100000) | list %}{% for i in range(100000) %}"
                    "{% for j in big %}{% break %}{% endfor %}{% endfor %}",
                    options)
                .find("budget"),
            std::string::npos);
}

TEST(JinjaLimits, ExponentialStringGrowthIsRefused) {
  RenderOptions options;
  options.max_bytes = 1 << 20;
  EXPECT_NE(ErrorOf("{% set ns = namespace(s='x') %}{% for i in range(64) %}"
                    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
                    options)
                .find("too large"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{% set ns = namespace(s='x') %}{% for i in range(64) %}"
                    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
                    options)
                .find("too large"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{{ 'x' * 1000000000000 }}", options).find("too large"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ [1] * 1000000000000 }}", options).find("too large"), std::string::npos);
  EXPECT_NE(ErrorOf("{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
                    "{% set ns.s = ns.s.replace('a', ns.s) %}{% endfor %}",
                    options)
                .find("too large"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{% set ns = namespace(s='a') %}{% for i in range(64) %}"
                    "{% set ns.s = (ns.s ~ '\\nx') | indent(ns.s | length) %}{% endfor %}",
                    options)
                .find("too large"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", options).find("too large"),
      std::string::npos);
}

TEST(JinjaLimits, DeepSourceNestingIsASyntaxError) {
  const std::string parens = std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_NE(ErrorOf("{{ " + parens + " }}").find("nested too deeply"), std::string::npos);
  const std::string lists = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_NE(ErrorOf("{{ " + lists + " }}").find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_NE(ErrorOf("{{ " + nots + "1 }}").find("nested too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if 1 %}";
  EXPECT_NE(ErrorOf(ifs).find("nested too deeply"), std::string::npos);
  std::string minus(5000, '-');
  EXPECT_NE(ErrorOf("{{ " + minus + "1 }}").find("nested too deeply"), std::string::npos);
  // Long left-associative chains nest as deeply as parentheses do.
  std::string sum = "1", attrs = "x", filters = "1", calls = "f", concat = "'a'";
  for (int i = 0; i < 5000; ++i) {
    sum += " + 1";
    attrs += ".a";
    filters += " | string";
    calls += "()";
    concat += " ~ 'a'";
  }
  for (const std::string& e : {sum, attrs, filters, calls, concat}) {
    EXPECT_NE(ErrorOf("{{ " + e + " }}").find("nested too deeply"), std::string::npos);
  }
  // A realistic chain is fine.
  std::string ok = "'a'";
  for (int i = 0; i < 100; ++i) ok += " ~ 'a'";
  EXPECT_EQ(Render("{{ " + ok + " }}"), std::string(101, 'a'));
}

TEST(JinjaLimits, DeepRuntimeNestingIsRefused) {
  EXPECT_NE(ErrorOf("{% set ns = namespace(x=[]) %}{% for i in range(10000) %}"
                    "{% set ns.x = [ns.x] %}{% endfor %}")
                .find("nested too deeply"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{% set ns = namespace(x={}) %}{% for i in range(10000) %}"
                    "{% set ns.x = {'k': ns.x} %}{% endfor %}")
                .find("nested too deeply"),
            std::string::npos);
  nlohmann::ordered_json deep = nlohmann::ordered_json::array();
  for (int i = 0; i < 2000; ++i) deep = nlohmann::ordered_json::array({deep});
  auto tmpl = Template::Parse("{{ x }}");
  ASSERT_TRUE(tmpl.ok());
  auto r = (*tmpl)->Render(nlohmann::ordered_json{{"x", deep}});
  EXPECT_FALSE(r.ok());
}

TEST(JinjaLimits, SelfReferencingNamespaceDoesNotHang) {
  auto r = RenderString("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}{{ ns == ns.me }}");
  EXPECT_TRUE(r.ok());
}

TEST(JinjaLimits, ErrorsNameLineAndColumn) {
  EXPECT_EQ(ErrorOf("line one\n{{ x.y.z }}"), "line 2, column 4: 'x' is undefined");
  EXPECT_EQ(ErrorOf("{{ 1 +\n  'a' }}").rfind("line 1, column 6: ", 0), 0u);
  EXPECT_EQ(ErrorOf("ab\ncd {% if %}").rfind("template syntax error: line 2, column 10", 0), 0u);
  EXPECT_EQ(ErrorOf("\n\n{{ raise_exception('Only user and assistant roles') }}"),
            "line 3, column 4: Only user and assistant roles");
}

}  // namespace
}  // namespace shimmy::jinja
