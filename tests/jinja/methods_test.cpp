// Jinja tests (`is ...`), str/dict/list methods the sandbox allows, and the
// globals. Expected strings are Python jinja2's output.
#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace shimmy::jinja {
namespace {

using testing::Fails;
using testing::Render;
using testing::RenderString;

constexpr const char* kCtx = R"({
  "s": "Hello World", "l": [3, 1, 2], "d": {"b": 1, "a": 2}, "none": null, "t": true,
  "u": "ä日🦙", "ws": "  x  "
})";

TEST(JinjaTests, TypeTests) {
  EXPECT_EQ(
      Render("{{ s is defined }} {{ nope is defined }} {{ nope is undefined }} {{ none is none }}",
             kCtx),
      "True False True True");
  EXPECT_EQ(
      Render("{{ s is string }} {{ d is mapping }} {{ l is mapping }} {{ l is sequence }} "
             "{{ d is sequence }} {{ 5 is sequence }} {{ l is iterable }} {{ none is iterable }}",
             kCtx),
      "True True False True True False True False");
  EXPECT_EQ(Render("{{ 1 is number }} {{ t is number }} {{ 1 is integer }} {{ t is integer }} "
                   "{{ 1.0 is float }} {{ t is boolean }} {{ t is true }} {{ 1 is true }} {{ false "
                   "is false }}",
                   kCtx),
            "True True True False True True True False True");
}

TEST(JinjaTests, ValueTests) {
  EXPECT_EQ(
      Render("{{ 3 is odd }} {{ 3 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }}"),
      "True False True False");
  EXPECT_EQ(Render("{{ 'abc' is lower }} {{ 'Abc' is lower }} {{ 'ABC' is upper }}"),
            "True False True");
  EXPECT_EQ(
      Render("{{ 2 is in l }} {{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} "
             "{{ 2 is ge 2 }} {{ 3 is gt 2 }}",
             kCtx),
      "True True False True True True True");
  EXPECT_EQ(Render("{{ none is sameas none }} {{ 'upper' is filter }} {{ 'odd' is test }} "
                   "{{ s is not string }} {{ not s is string }}",
                   kCtx),
            "True True True False False");
}

TEST(JinjaMethods, StringMethods) {
  EXPECT_EQ(
      Render("{{ s.upper() }} {{ s.lower() }} {{ 'hello world'.title() }} {{ 'hI'.capitalize() }}",
             kCtx),
      "HELLO WORLD hello world Hello World Hi");
  EXPECT_EQ(Render("{{ s.startswith('He') }} {{ s.endswith('ld') }} {{ s.startswith(('x', 'H')) }}",
                   kCtx),
            "True True True");
  EXPECT_EQ(Render("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} "
                   "{{ 'a,b,c'.rsplit(',', 1) }}"),
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a,b', 'c']");
  EXPECT_EQ(
      Render("[{{ ws.strip() }}][{{ ws.lstrip() }}][{{ ws.rstrip() }}][{{ 'xax'.strip('x') }}]",
             kCtx),
      "[x][x  ][  x][a]");
  EXPECT_EQ(
      Render("{{ s.replace('l', 'L') }} {{ s.find('o') }} {{ s.rfind('o') }} {{ s.find('z') }} "
             "{{ u.find('🦙') }} {{ s.count('l') }} {{ '-'.join(['a', 'b']) }}",
             kCtx),
      "HeLLo WorLd 4 7 -1 2 3 a-b");
  EXPECT_EQ(Render("{{ '{} {}'.format('a', 1) }} {{ '{name}:{0:>4}'.format(7, name='n') }} "
                   "{{ '{:.2f}|{:05d}|{:,}'.format(3.14159, 42, 1234567) }}"),
            "a 1 n:   7 3.14|00042|1,234,567");
  EXPECT_EQ(Render("{{ 'abc'.isalpha() }} {{ '12'.isdigit() }} {{ 'a b'.isspace() }} {{ "
                   "'x'.center(5, '*') }}"),
            "True True False **x**");
}

TEST(JinjaMethods, DictAndListMethods) {
  EXPECT_EQ(Render("{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }} {{ d.keys() | list }} "
                   "{{ d.values() | list }} {{ d.items() | list }}",
                   kCtx),
            "2 None 0 ['b', 'a'] [1, 2] [('b', 1), ('a', 2)]");
  EXPECT_EQ(Render("{{ d.items() }} {{ l.index(1) }} {{ l.count(3) }}", kCtx),
            "dict_items([('b', 1), ('a', 2)]) 1 1");
}

TEST(JinjaMethods, MutatingMethodsAreForbiddenLikeTheSandbox) {
  // Kimi-K2's template relies on list.append, which the sandbox refuses.
  auto r = RenderString("{% set q = [] %}{% set _ = q.append(1) %}{{ q }}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("unsafe"), std::string::npos);
  EXPECT_TRUE(Fails("{{ d.update({'x': 1}) }}", kCtx));
  EXPECT_TRUE(Fails("{{ d.pop('a') }}", kCtx));
  EXPECT_TRUE(Fails("{{ l.pop(0) }}", kCtx));
  EXPECT_TRUE(Fails("{{ s.nosuchmethod() }}", kCtx));
}

TEST(JinjaGlobals, RangeDictNamespaceJoiner) {
  EXPECT_EQ(
      Render("{{ range(3) | list }} {{ range(1, 10, 4) | list }} {{ range(3, 0, -1) | list }}"),
      "[0, 1, 2] [1, 5, 9] [3, 2, 1]");
  EXPECT_EQ(Render("{{ dict(a=1) }} {{ namespace(a=1).a }} {{ namespace({'k': 'v'}).k }}"),
            "{'a': 1} 1 v");
  EXPECT_EQ(
      Render("{% set j = joiner(', ') %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}"),
      "1, 2, 3");
}

TEST(JinjaGlobals, StrftimeNowUsesTheInjectedClock) {
  EXPECT_EQ(Render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|"
                   "{{ strftime_now('%A %B %j') }}"),
            "01 Jan 2026|2026-01-01 00:00|Thursday January 001");
  RenderOptions options;
  options.now = [] {
    std::tm tm{};
    tm.tm_year = 2024 - 1900;
    tm.tm_mon = 1;
    tm.tm_mday = 29;
    tm.tm_hour = 13;
    return tm;
  };
  auto r = RenderString("{{ strftime_now('%d.%m.%Y %H %a') }}", "{}", options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "29.02.2024 13 Thu");
}

TEST(JinjaGlobals, RaiseExceptionCarriesTheMessage) {
  auto r =
      RenderString("{% if true %}{{ raise_exception('System role not supported') }}{% endif %}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("System role not supported"), std::string::npos);
}

}  // namespace
}  // namespace shimmy::jinja
