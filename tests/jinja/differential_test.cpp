// Differential test against Python's jinja2: a corpus of small templates
// exercising each feature is rendered by both engines with the same context;
// outputs must be identical, and where Python raises we must fail too.
// Skips when python3 with jinja2 is not installed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jinja/template.h"
#include "python_oracle.h"

namespace shimmy::jinja {
namespace {

using Json = nlohmann::ordered_json;

Json SharedContext() {
  return Json::parse(R"({
    "s": "Hello World", "n": 7, "neg": -7, "f": 2.5, "z": 0, "big": 123456789012,
    "l": [3, 1, 2], "words": ["b", "A", "a", "C"], "empty": [], "estr": "",
    "d": {"b": 1, "a": 2, "C": 3}, "none": null, "t": true, "fa": false,
    "u8": "äöü ÄÖÜ ß 日本語 Привет 🦙 e\u0301", "ws": "  \t padded \n ",
    "html": "<a href=\"x\">'&'</a>",
    "multi": "line one\nline two\n\nline four\n",
    "users": [{"name": "bob", "age": 30, "tags": ["x"]}, {"name": "Alice", "age": 25},
              {"name": "carol", "age": 35, "tags": []}],
    "msgs": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
             {"role": "assistant", "content": null,
              "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1, "y": "ü"}}}]},
             {"role": "user", "content": [{"type": "text", "text": "part"}]}],
    "nested": {"a": {"b": {"c": [1, {"d": "deep"}]}}},
    "floats": [1.0, 0.1, 1e-7, 1e16, 123456789.125, -0.0, 3.14159],
    "mixed": [1, "a", null, true, 2.5, [1, 2], {"k": "v"}]
  })");
}

// Templates; each is rendered with SharedContext().
const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> kCorpus = {
      // ---- whitespace control, comments, raw ----
      "a\n{% if t %}\nb\n{% endif %}\nc",
      "a\n  {% if t %}\n  b\n  {% endif %}\nc",
      "a  {%- if t -%}  b  {%- endif -%}  c",
      "  {{- s -}}  \n  {{ s }}  ",
      "x {# comment #} y\n  {# line comment #}\nz",
      "x {#- strip -#} y {#+ keep +#}\nz",
      "{% raw %}{{ not evaluated }}{% endraw %}\n{%- raw -%}  {% if %}  {%- endraw %}!",
      "  {% raw %}\n  raw\n  {% endraw %}\nafter",
      "a\n    {%+ if t %}b{% endif +%}\nc",
      "line\r\nwin\r\n{% if t %}\r\nx\r\n{% endif %}\r\n",
      "trailing newline kept once?\n\n",
      "{% for i in l %}\n  {{ i }}\n{% endfor %}\n",
      "{% for i in l -%}\n  {{ i }}\n{%- endfor %}",
      "<{% if t %}   {% endif %}>",
      "{{ '{{' }}{{ '}}' }} {{ '{%' }}",
      "{{ {'a': {'b': 1}} }}",
      // ---- literals and printing ----
      "{{ 1 }} {{ -1 }} {{ 1.0 }} {{ 1.5e3 }} {{ 1e20 }} {{ 1_000 }} {{ 0x1F }} {{ 0b101 }} {{ "
      "0o17 }}",
      "{{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 2 / 2 }} {{ 10 / 4 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ "
      "0.00001 }}",
      "{{ floats }}",
      "{% for x in floats %}{{ x }}|{% endfor %}",
      "{{ 'it\\'s' }} {{ \"q\\\"q\" }} {{ 'tab\\tnew\\nline' }} {{ '\\u00e9\\x41' }} {{ 'a' 'b' }}",
      "{{ ['it\\'s', \"q\\\"q\", 'both \\' \"', '\\t\\n\\\\', '\\x7f\\xa0\\u200d'] }}",
      "{{ (1, 2) }} {{ (1,) }} {{ () }} {{ [] }} {{ {} }} {{ [1, [2, (3,)]] }}",
      "{{ {'a': 1, 'b': [none, true, false], 1: 2.5} }}",
      "{{ none }} {{ None }} {{ true }} {{ True }} {{ false }} {{ False }}",
      "{{ mixed }} {{ d }} {{ users[0] }}",
      "{{ msgs[3].content }} {{ msgs[2] }}",
      "{{ u8 }} {{ [u8] }}",
      "{{ undefined_name }}|{{ d.missing }}|{{ none.attr }}|{{ l[10] }}",
      "{{ 1, 2 }}",
      // ---- operators ----
      "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 "
      "}}",
      "{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ (-2) ** 2 }} {{ 2.0 ** 0.5 "
      "}}",
      "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 'ab' * 3 }} {{ 3 * 'ab' }} {{ [1] * 3 "
      "}}",
      "{{ 'a' + 'b' }} {{ [1] + [2] }} {{ (1,) + (2,) }} {{ 1 + 2.0 }} {{ true + 1 }}",
      "{{ 'x' ~ 1 ~ none ~ true ~ [1] ~ undefined_name }}",
      "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 "
      "!= 2 }}",
      "{{ 'ell' in s }} {{ 'x' not in s }} {{ 2 in l }} {{ 'a' in d }} {{ 'zz' in d }} {{ 1 in "
      "undefined_name }}",
      "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 'z' }} {{ none or none }} {{ not 0 }} {{ not 'a' "
      "}}",
      "{{ 'yes' if t else 'no' }} {{ 'yes' if fa else 'no' }} {{ 'yes' if fa }}|",
      "{{ not t == fa }} {{ not (t == fa) }} {{ - n | abs }} {{ s ~ 'x' | upper }}",
      "{{ 1 if t else 2 if fa else 3 }} {{ (1 if fa else 2) + 10 }}",
      "{{ none == none }} {{ undefined_name == undefined_name }} {{ none is none }} {{ [] == [] }} "
      "{{ {'a': 1} == {'a': 1} }}",
      "{{ 1 // 0.1 }} {{ -1 // 0.1 }} {{ 7.0 // -2 }} {{ 0.1 is odd }} {{ 3.0 is odd }} {{ 4.5 is "
      "divisibleby 1.5 }}",
      "{{ 'a%sb' % nope }}|{{ 'ab' % nope }}|{{ 'ab' % [] }}|{{ 'ab' % {} }}|{{ '%s' % [1] }}",
      "{{ 2.5 ** 1000 }}",
      "{{ 'ab' % (1,) }}",
      "{{ ('x' | e) is escaped }} {{ 'x' is escaped }}",
      "{{ 10 / 0 }}",
      "{{ 'a' + 1 }}",
      "{{ 'a' < 1 }}",
      "{{ undefined_name + 1 }}",
      "{{ 'abc' - 'a' }}",
      "{{ none in none }}",
      // ---- attribute, subscript, slicing ----
      "{{ l[0] }} {{ l[-1] }} {{ l[-3] }} {{ s[0] }} {{ s[-1] }} {{ u8[4] }} {{ d['a'] }} {{ d.a "
      "}}",
      "{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ s[1:4] }} {{ s[::-1] }} {{ u8[-6:] "
      "}} {{ l[5:1:-1] }}",
      "{{ s[10:0:-3] }} {{ l[-100:100] }} {{ (1, 2, 3)[1:] }}",
      "{{ nested.a.b.c[1].d }} {{ nested['a']['b'].c[0] }} {{ users.0.name }}",
      "{{ d.missing.deeper }}",
      "{{ undefined_name.attr }}",
      "{{ undefined_name['key'] }}",
      "{{ l['x'] }}|{{ s.nope }}|{{ 5.attr }}",
      // ---- if / for / loop ----
      "{% if fa %}a{% elif z %}b{% elif n %}c{% else %}d{% endif %}",
      "{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ "
      "loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
      "{% for x in l %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}|{% endfor %}",
      "{% for x in l %}{{ loop.cycle('a', 'b') }}{% endfor %}",
      "{% for x in [1, 1, 2, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}",
      "{% for x in empty %}{{ x }}{% else %}empty!{% endfor %}",
      "{% for x in l if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}",
      "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
      "{% for k in d %}{{ k }}{% endfor %} {% for c in 'héllo' %}[{{ c }}]{% endfor %}",
      "{% for a, (b, c) in [(1, (2, 3)), (4, (5, 6))] %}{{ a }}{{ b }}{{ c }}{% endfor %}",
      "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break "
      "%}{% endif %}{{ x }}{% endfor %}",
      "{% for x in l %}{% for y in l %}{{ loop.index }}{% endfor %}|{{ loop.index }} {% endfor %}",
      "{% for x in undefined_name %}x{% else %}none{% endfor %}",
      "{% for x in none %}x{% endfor %}",
      "{% for x in 42 %}x{% endfor %}",
      "{% for a, b in l %}x{% endfor %}",
      "{% for x in range(3) %}{{ x }}{% endfor %}{{ x }}",
      "{{ range(5) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ range(0) "
      "| list }}",
      "{{ range(200000) | length }}",
      // ---- set, scoping, namespace ----
      "{% set x = 1 %}{% if t %}{% set x = 2 %}{% endif %}{{ x }}",
      "{% set x = 1 %}{% for i in l %}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}",
      "{% set ns = namespace(total=0, items=[]) %}{% for i in l %}{% set ns.total = ns.total + i "
      "%}{% endfor %}{{ ns.total }} {{ ns.items }}",
      "{% set ns = namespace() %}{% set ns.a = 'x' %}{{ ns.a }}{{ ns.b }}|{{ ns['a'] }}",
      "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = 'xy' %}{{ c }}{{ d }}",
      "{% set block %}inner {{ s }}{% endset %}[{{ block }}]",
      "{% set block | upper | trim %}  inner  {% endset %}[{{ block }}]",
      "{% set x = 5 %}{% set x.y = 1 %}",
      "{% with a = 1, b = 'two' %}{{ a }}{{ b }}{% endwith %}{{ a }}",
      "{% filter upper %}hello {{ s }}{% endfilter %}",
      "{% filter trim | replace('a', 'b') %}  banana  {% endfilter %}!",
      "{% generation %}gen {{ n }}{% endgeneration %}",
      // ---- macros ----
      "{% macro m(a, b=2, c='x') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} "
      "{{ m(1, c='y') }} {{ m() }}",
      "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}",
      "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
      "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}",
      "{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(4) }}",
      "{% macro outer() %}[{{ caller() }}]{% endmacro %}{% call outer() %}body {{ s }}{% endcall "
      "%}",
      "{% macro list(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% "
      "call(x) list(l) %}<{{ x }}>{% endcall %}",
      "{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) "
      "}}",
      "{% set g = 'global' %}{% macro m() %}{{ g }}{% endmacro %}{% set g = 'changed' %}{{ m() }}",
      "{% macro m() %}{% set inner = 1 %}{{ inner }}{% endmacro %}{{ m() }}{{ inner }}",
      "{% macro m() %}x{% endmacro %}{{ m }}|{{ m is callable }}",
      "{% macro m(x) %}{{ x }}{% endmacro %}{{ m(x=1, x=2) }}",
      // ---- string filters ----
      "{{ ws | trim }}|{{ ws | trim(' \\n') }}|{{ 'xxaxx' | trim('x') }}|{{ u8 | upper }}|{{ u8 | "
      "lower }}",
      "{{ 'hello WORLD' | capitalize }}|{{ 'hello world-foo (bar) [baz] <q>x' | title }}|{{ "
      "\"they're bill's\" | title }}",
      "{{ s | replace('o', '0') }}|{{ s | replace('o', '0', 1) }}|{{ 'aaa' | replace('', '-') "
      "}}|{{ 1234 | replace(2, 9) }}",
      "{{ multi | indent }}|{{ multi | indent(2, true) }}|{{ multi | indent('> ', blank=true) "
      "}}|{{ 'one' | indent(first=true) }}",
      "{{ 'x' | center(7) }}|{{ 'xy' | center(7) }}|{{ s | center }}|",
      "{{ 'hello world foo bar' | truncate(12) }}|{{ 'hello world foo bar' | truncate(12, true) "
      "}}|{{ 'hello world foo bar' | truncate(12, false, '!', 0) }}|{{ 'short' | truncate(3, "
      "leeway=2) }}",
      "{{ s | wordcount }} {{ 'a-b_c d.e' | wordcount }}",
      "{{ html | e }}|{{ html | escape }}|{{ html | safe }}|{{ html | forceescape }}",
      "{{ '<b>' | safe + '<i>' }}|{{ '<i>' + '<b>' | safe }}|{{ ('<b>' | safe) ~ '<i>' }}|{{ "
      "('%s!' | safe) % '<x>' }}",
      "{{ 42 | string }}{{ none | string }}{{ l | string }}{{ (l | string)[0] }}",
      "{{ '%s-%05.1f-%x-%r-%%' | format('a', 3.14159, 255, 'q') }}|{{ '%(a)s/%(b)d' | "
      "format(a='x', b=2) }}",
      "{{ '<p>text <b>bold</b></p>  more' | striptags }}",
      // ---- sequence filters ----
      "{{ l | length }} {{ s | length }} {{ u8 | count }} {{ d | length }} {{ undefined_name | "
      "length }} {{ empty | length }}",
      "{{ l | first }} {{ l | last }} {{ s | first }} {{ s | last }} {{ empty | first }}|{{ d | "
      "first }}",
      "{{ l | join }} {{ l | join(', ') }} {{ users | join(', ', attribute='name') }} {{ mixed | "
      "join('|') }}",
      "{{ s | list }} {{ d | list }} {{ l | list }} {{ undefined_name | list }}",
      "{{ users | map(attribute='name') | list }} {{ l | map('string') | list }} {{ words | "
      "map('upper') | join }}",
      "{{ users | map(attribute='missing', default='?') | list }} {{ l | map('default', 5) | list "
      "}}",
      "{{ l | select('odd') | list }} {{ l | reject('odd') | list }} {{ mixed | select | list }} "
      "{{ l | select('greaterthan', 1) | list }}",
      "{{ users | selectattr('tags') | map(attribute='name') | list }} {{ users | "
      "rejectattr('tags') | list }}",
      "{{ users | selectattr('age', '>', 26) | map(attribute='name') | join(',') }} {{ msgs | "
      "selectattr('role', 'equalto', 'user') | list | length }}",
      "{{ users | selectattr('tags', 'defined') | list | length }} {{ users | rejectattr('tags', "
      "'undefined') | list | length }}",
      "{{ d | items | list }} {{ d | dictsort }} {{ d | dictsort(true) }} {{ d | "
      "dictsort(by='value', reverse=true) }}",
      "{{ words | sort }} {{ words | sort(case_sensitive=true) }} {{ words | sort(reverse=true) }} "
      "{{ users | sort(attribute='age') | map(attribute='name') | list }}",
      "{{ users | sort(attribute='name') | map(attribute='name') | join(' ') }} {{ l | sort | "
      "first }}",
      "{{ ['a', 'A', 'b', 'a'] | unique | list }} {{ ['a', 'A', 'b'] | unique(true) | list }} {{ "
      "users | unique(attribute='name') | list | length }}",
      "{{ users | unique(attribute='tags') | list | length }}",
      "{{ l | min }} {{ l | max }} {{ words | min }} {{ words | max }} {{ words | "
      "max(case_sensitive=true) }} {{ users | max(attribute='age') }} {{ empty | max }}",
      "{{ l | sum }} {{ users | sum(attribute='age') }} {{ floats | sum }} {{ l | sum(start=10) }}",
      "{{ l | reverse | list }} {{ s | reverse }} {{ d | reverse | list }}",
      "{{ range(7) | batch(3) | list }} {{ range(7) | batch(3, 'x') | list }}",
      "{{ undefined_name | default('dflt') }} {{ none | default('dflt') }} {{ none | "
      "default('dflt', true) }} {{ '' | d('e', true) }} {{ 0 | default(5) }}",
      "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(-1) }} {{ 4.7 | int }} {{ "
      "'0x1A' | int(0, 16) }} {{ true | int }} {{ ' 12 ' | int }} {{ '1_000' | int }}",
      "{{ '4.5' | float }} {{ 'x' | float }} {{ 3 | float }} {{ 'inf' | float }} {{ ' 1e3 ' | "
      "float }}",
      "{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} "
      "{{ 3 | round }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 1234.5 | "
      "round(-2) }}",
      "{{ users[0] | attr('name') }} {{ d | attr('items') is callable }}",
      // ---- tojson ----
      "{{ d | tojson }} {{ l | tojson }} {{ mixed | tojson }} {{ u8 | tojson }} {{ html | tojson "
      "}}",
      "{{ msgs | tojson(indent=2) }}",
      "{{ d | tojson(indent=4, sort_keys=true) }} {{ empty | tojson(indent=2) }} {{ {} | "
      "tojson(indent=2) }}",
      "{{ d | tojson(separators=(',', ':')) }} {{ u8 | tojson(ensure_ascii=true) }} {{ floats | "
      "tojson }}",
      "{{ {1: 'int key', none: 'n', true: 'b', 2.5: 'f'} | tojson }} {{ ('t', 1) | tojson }} {{ "
      "'ctrl\\x01\\x7f' | tojson }}",
      "{{ l | map('string') | tojson }}",
      "{{ undefined_name | tojson }}",
      "{{ d.items() | tojson }}",
      "{{ nested | tojson(indent='\\t') }}",
      // ---- tests ----
      "{{ n is defined }} {{ nope is defined }} {{ nope is undefined }} {{ none is none }} {{ 0 is "
      "none }}",
      "{{ s is string }} {{ 1 is string }} {{ d is mapping }} {{ l is mapping }} {{ l is sequence "
      "}} {{ s is sequence }} {{ d is sequence }} {{ 5 is sequence }}",
      "{{ l is iterable }} {{ 5 is iterable }} {{ none is iterable }} {{ (l | select) is iterable "
      "}} {{ (l | select) is sequence }}",
      "{{ 1 is number }} {{ 1.5 is number }} {{ t is number }} {{ 1 is integer }} {{ t is integer "
      "}} {{ 1.0 is float }} {{ t is boolean }} {{ 1 is boolean }}",
      "{{ t is true }} {{ 1 is true }} {{ fa is false }} {{ 0 is false }}",
      "{{ 3 is odd }} {{ 3 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 4.0 is "
      "even }}",
      "{{ 'abc' is lower }} {{ 'Abc' is lower }} {{ 'ABC' is upper }} {{ '123' is upper }}",
      "{{ 2 is in l }} {{ 2 is in [5] }} {{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 "
      "is lt 2 }} {{ 2 is ge 2 }} {{ 1 is == 1 }} {{ 3 is > 2 }}",
      "{{ none is sameas none }} {{ t is sameas true }} {{ 'upper' is filter }} {{ 'odd' is test "
      "}} {{ 'nope' is filter }}",
      "{{ n is not defined }} {{ n is not string }} {{ not n is string }}",
      "{{ s is startingwith('H') }}",
      "{% if s is nosuchtest %}x{% endif %}ok",
      "{{ s | nosuchfilter }}",
      "{% if fa %}{{ s | nosuchfilter }}{% endif %}ok",
      "{{ s | nosuchfilter if fa else 'soft' }}",
      "{% for x in l %}{{ x | nosuchfilter }}{% endfor %}",
      // ---- methods ----
      "{{ s.upper() }} {{ s.lower() }} {{ s.title() }} {{ 'hELLO wORLD'.capitalize() }} {{ "
      "'aBc'.swapcase() }} {{ \"they're 1st\".title() }}",
      "{{ s.startswith('He') }} {{ s.endswith('ld') }} {{ s.startswith(('x', 'H')) }} {{ "
      "s.startswith('W', 6) }} {{ s.endswith('Hello', 0, 5) }}",
      "{{ 'a,b,,c'.split(',') }} {{ '  a  b c '.split() }} {{ 'a b c d'.split(' ', 2) }} {{ "
      "'a,b,c'.rsplit(',', 1) }} {{ '  a  b c '.split(none, 1) }} {{ '  a  b c '.rsplit(none, 1) "
      "}}",
      "{{ ws.strip() }}|{{ ws.lstrip() }}|{{ ws.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ "
      "'<<a>>'.lstrip('<') }}",
      "{{ s.replace('l', 'L') }} {{ s.replace('l', 'L', 2) }} {{ s.find('o') }} {{ s.find('o', 5) "
      "}} {{ s.rfind('o') }} {{ s.find('z') }} {{ u8.find('日') }}",
      "{{ s.count('l') }} {{ s.count('') }} {{ s.index('W') }} {{ ', '.join(['a', 'b']) }} {{ "
      "'-'.join('abc') }}",
      "{{ s.index('z') }}",
      "{{ '-'.join([1, 2]) }}",
      "{{ '{} and {}'.format('a', 'b') }} {{ '{1}{0}'.format('a', 'b') }} {{ "
      "'{name}!'.format(name='n') }} {{ '{:>6}|{:<6}|{:^6}|{:*^7}'.format('r', 'l', 'c', 'x') }}",
      "{{ '{:.2f} {:5d} {:05d} {:x} {:,} {:+d} {:e} {:.1%}'.format(3.14159, 42, 42, 255, 1234567, "
      "5, 12345.678, 0.256) }}",
      "{{ '{0[a]} {0[b]}'.format(d) }} {{ '{!r}'.format('q') }} {{ '{{literal}}'.format() }} {{ "
      "'{}'.format(none) }} {{ '{}'.format(l) }} {{ '{}'.format(2.5) }}",
      "{{ 'abc'.isalpha() }} {{ '123'.isdigit() }} {{ 'a1'.isalnum() }} {{ '  '.isspace() }} {{ "
      "'abc'.islower() }} {{ 'ABC'.isupper() }} {{ ''.isdigit() }}",
      "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'x'.center(5, '*') }} {{ 'x'.ljust(3) }}| {{ "
      "'x'.rjust(3) }} {{ '42'.zfill(5) }} {{ '-42'.zfill(5) }}",
      "{{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ "
      "'prefix_x'.removeprefix('prefix_') }} {{ 'x.txt'.removesuffix('.txt') }}",
      "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d.keys() }} {{ d.values() "
      "}} {{ d.items() }} {{ d.keys() | list }}",
      "{{ d.items() | length }} {{ d.copy() }} {{ l.index(2) }} {{ l.count(3) }}",
      "{{ l.append(4) }}",
      "{% set _ = l.append(4) %}{{ l }}",
      "{{ d.update({'x': 1}) }}",
      "{{ d.pop('a') }}",
      "{{ s.nosuchmethod() }}",
      "{{ none.split() }}",
      // ---- globals ----
      "{{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }} {{ namespace(a=1).a }} {{ namespace({'k': "
      "'v'}).k }}",
      "{% set j = joiner(' | ') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}",
      "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M:%S') }} {{ strftime_now('%A "
      "%B %j %a %-d') }}",
      "{{ raise_exception('custom message') }}",
      "{% if t %}{{ raise_exception('Conditional: ' ~ n) }}{% endif %}",
      // ---- chat-template idioms ----
      "{% for m in msgs %}{% if m.content is string %}{{ m.role }}: {{ m.content }}\n{% elif "
      "m.content is none %}{{ m.role }}: (none) {{ m.tool_calls | tojson }}\n{% else %}{{ m.role "
      "}}: {{ m.content[0].text }}\n{% endif %}{% endfor %}",
      "{{ msgs[3].content }}|{{ msgs[2].content }}|{{ msgs[2].missing }}",
      "{{ msgs[0].content + msgs[3].content }}",
      "{% set sys = msgs[0].content if msgs[0].role == 'system' else '' %}{{ sys }}|{{ msgs[1:] | "
      "map(attribute='role') | join(',') }}",
      "{{ (msgs | selectattr('role', 'equalto', 'assistant') | "
      "first).tool_calls[0].function.arguments | tojson }}",
      "{{ msgs | map(attribute='content') | tojson }}",
      "{{ msgs[2].tool_calls[0].function.arguments.items() | list }}",
      "{% for m in msgs %}{{ loop.index0 }}{% if not loop.last %},{% endif %}{% endfor %}",
      "{%- for m in msgs -%}\n  {%- if m.role == 'user' -%}\n    <u>{{ m.content | string | trim "
      "}}</u>\n  {%- endif -%}\n{%- endfor -%}",
      // ---- syntax errors ----
      "{% if t %}unclosed",
      "{% for %}{% endfor %}",
      "{{ 1 + }}",
      "{% endif %}",
      "{% unknown_tag %}",
      "{{ 'unterminated }}",
      "{# unclosed comment",
      "{% raw %}unclosed raw",
      "{{ (1 }}",
      "{% set %}",
      "{% macro m(a=1, b) %}{% endmacro %}",
      "{{ x is is defined }}",
      "{% break %}",
  };
  return kCorpus;
}

TEST(JinjaDifferential, CorpusMatchesPythonJinja2) {
  if (!testing::PythonJinjaAvailable()) GTEST_SKIP() << "python3 with jinja2 not available";
  const Json context = SharedContext();
  std::vector<testing::OracleSample> samples;
  for (const std::string& source : Corpus()) samples.push_back({source, context});
  auto expected = testing::RenderWithPython(samples);
  ASSERT_TRUE(expected.has_value()) << "running python3 failed";

  RenderOptions options;
  options.now = [] {
    std::tm tm{};
    tm.tm_year = 2026 - 1900;
    tm.tm_mday = 1;
    return tm;
  };
  int matched = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& want = (*expected)[i];
    auto tmpl = Template::Parse(samples[i].source);
    Result<std::string> got =
        tmpl ? (*tmpl)->Render(context, options) : Result<std::string>(tmpl.error());
    if (want.ok) {
      if (!got.ok()) {
        ADD_FAILURE() << "template:\n"
                      << samples[i].source << "\nwe failed: " << got.error().message()
                      << "\njinja2 rendered: " << want.output;
      } else if (*got != want.output) {
        ADD_FAILURE() << "template:\n"
                      << samples[i].source << "\nwe rendered:\n"
                      << *got << "\njinja2 rendered:\n"
                      << want.output;
      } else {
        ++matched;
      }
    } else if (got.ok()) {
      ADD_FAILURE() << "template:\n"
                    << samples[i].source << "\nwe rendered: " << *got << "\njinja2 raised "
                    << want.error_type << ": " << want.error;
    } else {
      ++matched;
    }
  }
  std::cout << "[ jinja ] differential corpus: " << matched << "/" << samples.size() << " agree\n";
}

}  // namespace
}  // namespace shimmy::jinja
