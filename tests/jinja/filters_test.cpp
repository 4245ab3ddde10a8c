// Built-in filters and HF's tojson. Expected strings are Python jinja2's output.
#include <gtest/gtest.h>

#include "test_util.h"

namespace shimmy::jinja {
namespace {

using testing::Fails;
using testing::Render;

constexpr const char* kCtx = R"({
  "s": "Hello World", "l": [3, 1, 2], "w": ["b", "A", "a"], "d": {"b": 1, "a": 2},
  "e": [], "none": null, "ws": "  x \n", "multi": "one\ntwo\n\nfour\n",
  "u": "ä日🦙", "html": "<a href=\"x\">'&'</a>",
  "people": [{"name": "bob", "age": 30, "tags": ["x"]}, {"name": "Al", "age": 25}],
  "mixed": [1, "a", null, true, 2.5, [1], {"k": "v"}]
})";

TEST(JinjaFilters, Strings) {
  EXPECT_EQ(Render("[{{ ws | trim }}][{{ 'xxaxx' | trim('x') }}][{{ u | upper }}][{{ s | lower }}]",
                   kCtx),
            "[x][a][\xC3\x84\xE6\x97\xA5\xF0\x9F\xA6\x99][hello world]");
  EXPECT_EQ(
      Render("{{ 'hELLO wORLD' | capitalize }}|{{ 'a-b c(d' | title }}|{{ 1234 | replace(2, 9) }}"),
      "Hello world|A-B C(D|1934");
  EXPECT_EQ(Render("{{ s | replace('o', '0') }}|{{ s | replace('o', '0', 1) }}", kCtx),
            "Hell0 W0rld|Hell0 World");
  EXPECT_EQ(Render("{{ multi | indent(2) }}|{{ multi | indent(2, true, true) }}", kCtx),
            "one\n  two\n\n  four\n|  one\n  two\n  \n  four\n  ");
  EXPECT_EQ(Render("[{{ 'x' | center(5) }}][{{ 'hello world foo' | truncate(9) }}]"
                   "[{{ 'hello world foo' | truncate(9, true) }}][{{ s | wordcount }}]",
                   kCtx),
            "[  x  ][hello...][hello ...][2]");
  EXPECT_EQ(Render("{{ html | e }}", kCtx), "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(
      Render("{{ 42 | string }}{{ none | string }} {{ '%s=%05.1f' | format('x', 3.14159) }}", kCtx),
      "42None x=003.1");
}

TEST(JinjaFilters, MarkupEscapesWhatIsAddedToIt) {
  // As in the functionary template: "text"|safe + value escapes value.
  EXPECT_EQ(
      Render("{{ '<b>' | safe + '<i>' }}|{{ '<i>' + '<b>' | safe }}|{{ ('<b>' | safe) ~ '<i>' }}"),
      "<b>&lt;i&gt;|&lt;i&gt;<b>|<b><i>");
  EXPECT_EQ(Render("{{ ['x' | e] }}"), "[Markup('x')]");
}

TEST(JinjaFilters, Sequences) {
  EXPECT_EQ(
      Render(
          "{{ l | length }} {{ s | count }} {{ u | length }} {{ d | length }} {{ nope | length }}",
          kCtx),
      "3 11 3 2 0");
  EXPECT_EQ(Render("{{ l | first }} {{ l | last }} {{ s | first }} [{{ e | first }}]", kCtx),
            "3 2 H []");
  EXPECT_EQ(
      Render("{{ l | join(', ') }} {{ people | join('/', attribute='name') }} {{ mixed | join }}",
             kCtx),
      "3, 1, 2 bob/Al 1aNoneTrue2.5[1]{'k': 'v'}");
  EXPECT_EQ(
      Render("{{ 'ab' | list }} {{ d | list }} {{ l | reverse | list }} {{ s | reverse }}", kCtx),
      "['a', 'b'] ['b', 'a'] [2, 1, 3] dlroW olleH");
  EXPECT_EQ(
      Render("{{ people | map(attribute='name') | list }} {{ l | map('string') | list }}", kCtx),
      "['bob', 'Al'] ['3', '1', '2']");
  EXPECT_EQ(Render("{{ l | select('odd') | list }} {{ l | reject('odd') | list }} "
                   "{{ people | selectattr('tags') | map(attribute='name') | list }} "
                   "{{ people | rejectattr('age', '>', 26) | map(attribute='name') | join }}",
                   kCtx),
            "[3, 1] [2] ['bob'] Al");
  EXPECT_EQ(Render("{{ none | selectattr('x') | list }} {{ none | map('upper') | list }}", kCtx),
            "[] []");
  EXPECT_EQ(
      Render(
          "{{ d | items | list }} {{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }}",
          kCtx),
      "[('b', 1), ('a', 2)] [('a', 2), ('b', 1)] [('a', 2), ('b', 1)]");
  EXPECT_EQ(
      Render("{{ w | sort }} {{ w | sort(case_sensitive=true) }} {{ w | sort(reverse=true) }} "
             "{{ people | sort(attribute='age') | map(attribute='name') | join }}",
             kCtx),
      "['A', 'a', 'b'] ['A', 'a', 'b'] ['b', 'A', 'a'] Albob");
  EXPECT_EQ(
      Render("{{ ['a', 'A', 'b'] | unique | list }} {{ w | min }} {{ w | max }} {{ l | sum }} "
             "{{ people | sum(attribute='age') }} {{ people | max(attribute='age') }}",
             kCtx),
      "['a', 'b'] A b 6 55 {'name': 'bob', 'age': 30, 'tags': ['x']}");
  EXPECT_EQ(Render("{{ range(5) | batch(2) | list }} {{ range(3) | batch(2, 0) | list }}"),
            "[[0, 1], [2, 3], [4]] [[0, 1], [2, 0]]");
  // Generators print as generators and are not JSON serialisable.
  EXPECT_TRUE(Fails("{{ l | map('string') | tojson }}", kCtx));
  EXPECT_TRUE(Fails("{{ l | select | length }}", kCtx));
  EXPECT_TRUE(Fails("{{ none | length }}", kCtx));
}

TEST(JinjaFilters, DefaultsAndNumbers) {
  EXPECT_EQ(Render("{{ nope | default('d') }} {{ none | default('d') }} {{ none | d('d', true) }} "
                   "{{ '' | default('e', true) }} {{ 0 | default(5) }}",
                   kCtx),
            "d None d e 0");
  EXPECT_EQ(
      Render(
          "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(-1) }} {{ 4.7 | int }} "
          "{{ '0x1A' | int(0, 16) }} {{ '4.5' | float }} {{ 'x' | float }} {{ 3 | float }}"),
      "42 4 0 -1 4 26 4.5 0.0 3.0");
  EXPECT_EQ(Render("{{ -3 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 3 "
                   "| round }} "
                   "{{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }}"),
            "3 2.0 4.0 2.67 3 3.0 2.0");
}

TEST(JinjaFilters, ToJsonUsesPythonJsonDumps) {
  EXPECT_EQ(Render("{{ d | tojson }} {{ mixed | tojson }}", kCtx),
            R"({"b": 1, "a": 2} [1, "a", null, true, 2.5, [1], {"k": "v"}])");
  EXPECT_EQ(
      Render("{{ u | tojson }} {{ u | tojson(ensure_ascii=true) }} {{ html | tojson }}", kCtx),
      "\"\xC3\xA4\xE6\x97\xA5\xF0\x9F\xA6\x99\" \"\\u00e4\\u65e5\\ud83e\\udd99\" "
      R"("<a href=\"x\">'&'</a>")");
  EXPECT_EQ(Render("{{ d | tojson(indent=2) }}", kCtx), "{\n  \"b\": 1,\n  \"a\": 2\n}");
  EXPECT_EQ(Render("{{ d | tojson(sort_keys=true) }} {{ d | tojson(separators=(',', ':')) }} "
                   "{{ e | tojson(indent=2) }} {{ {1: none, true: 1.0} | tojson }}",
                   kCtx),
            R"({"a": 2, "b": 1} {"b":1,"a":2} [] {"1": 1.0})");
  EXPECT_TRUE(Fails("{{ nope | tojson }}"));
  EXPECT_TRUE(Fails("{{ d.items() | tojson }}", kCtx));
}

}  // namespace
}  // namespace shimmy::jinja
