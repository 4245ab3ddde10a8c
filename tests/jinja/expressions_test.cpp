// Expressions: literals, Python printing (repr), operators and precedence,
// attribute/subscript/slice access, Undefined semantics. Expected strings are
// Python jinja2's output.
#include <gtest/gtest.h>

#include "test_util.h"

namespace shimmy::jinja {
namespace {

using testing::Fails;
using testing::Render;

constexpr const char* kCtx = R"({
  "s": "Hello World", "l": [3, 1, 2], "d": {"b": 1, "a": 2}, "none": null, "t": true,
  "u": "äö日🦙", "msg": {"role": "user", "content": [{"type": "text", "text": "x"}]},
  "floats": [1.0, 0.1, 1e-7, 1e16, 123456789.125, -0.0]
})";

TEST(JinjaExpressions, PrintsPythonValues) {
  EXPECT_EQ(Render("{{ none }} {{ true }} {{ False }} {{ 1 }} {{ 1.0 }} {{ 'x' }}"),
            "None True False 1 1.0 x");
  EXPECT_EQ(Render("{{ floats }}", kCtx), "[1.0, 0.1, 1e-07, 1e+16, 123456789.125, -0.0]");
  EXPECT_EQ(Render("{{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 2 / 2 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }}"),
            "0.30000000000000004 0.3333333333333333 1.0 1000000000000000.0 0.0001 1e-05");
  EXPECT_EQ(Render("{{ msg.content }}", kCtx), "[{'type': 'text', 'text': 'x'}]");
  EXPECT_EQ(Render("{{ (1, 2) }} {{ (1,) }} {{ () }} {{ {'a': [none, true]} }}"),
            "(1, 2) (1,) () {'a': [None, True]}");
  EXPECT_EQ(Render(R"({{ ["it's", 'say "hi"', 'both \' "', '\t\n\\'] }})"),
            R"(["it's", 'say "hi"', 'both \' "', '\t\n\\'])");
  EXPECT_EQ(Render(R"({{ ['\x7f\xa0\u200d', u] }})", kCtx),
            "['\\x7f\\xa0\\u200d', '\xC3\xA4\xC3\xB6\xE6\x97\xA5\xF0\x9F\xA6\x99']");
  EXPECT_EQ(Render("{{ 1, 'a' }}"), "(1, 'a')");
}

TEST(JinjaExpressions, ArithmeticFollowsPython) {
  EXPECT_EQ(
      Render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ -7.5 % 2 }}"),
      "3 -4 1 2 -2 0.5");
  EXPECT_EQ(Render("{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}"), "1024 0.5 64 4");
  EXPECT_EQ(Render("{{ 1 + 2 * 3 }} {{ 10 - 2 - 3 }} {{ 'ab' * 2 }} {{ [0] * 2 }} {{ true + 1 }}"),
            "7 5 abab [0, 0] 2");
  EXPECT_EQ(Render("{{ 'a' + 'b' }} {{ [1] + [2] }} {{ 1 + 2.0 }} {{ 'x' ~ 1 ~ none ~ nope }}"),
            "ab [1, 2] 3.0 x1None");
}

TEST(JinjaExpressions, ComparisonsAndLogic) {
  EXPECT_EQ(Render("{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ [1, 2] < [1, 3] }}"),
            "True False True True");
  EXPECT_EQ(Render("{{ 'ell' in s }} {{ 'x' not in s }} {{ 2 in l }} {{ 'a' in d }}", kCtx),
            "True True True True");
  EXPECT_EQ(Render("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 'z' }}|{{ not 0 }}"), "x y |True");
  EXPECT_EQ(
      Render("{{ 'y' if t else 'n' }} {{ 'y' if not t else 'n' }} [{{ 'y' if not t }}]", kCtx),
      "y n []");
  // `not` binds looser than comparison; filters bind tighter than `~` and `-`.
  EXPECT_EQ(Render("{{ not 1 == 2 }} {{ 'a' ~ 'b' | upper }} {{ -3 | abs }}"), "True aB 3");
}

TEST(JinjaExpressions, SubscriptsAndSlices) {
  EXPECT_EQ(Render("{{ l[0] }} {{ l[-1] }} {{ s[-1] }} {{ u[2] }} {{ d['a'] }} {{ d.a }}", kCtx),
            "3 2 d \xE6\x97\xA5 2 2");
  EXPECT_EQ(Render("{{ l[1:] }} {{ l[::-1] }} {{ l[::2] }} {{ s[1:4] }} {{ u[-2:] }}", kCtx),
            "[1, 2] [2, 1, 3] [3, 2] ell \xE6\x97\xA5\xF0\x9F\xA6\x99");
  EXPECT_EQ(Render("{{ msg.content[0].text }} {{ msg['content'][0]['type'] }}", kCtx), "x text");
}

TEST(JinjaExpressions, UndefinedBehavesLikeJinja2) {
  // Printing, testing and iterating an undefined value is fine...
  EXPECT_EQ(Render("[{{ nope }}][{{ d.nope }}][{{ none.attr }}][{{ l[9] }}]", kCtx), "[][][][]");
  EXPECT_EQ(Render("{{ nope is defined }} {{ nope | length }} {% for x in nope %}x{% endfor %}"),
            "False 0 ");
  // ...but looking inside it, calling it or computing with it fails.
  EXPECT_TRUE(Fails("{{ nope.attr }}"));
  EXPECT_TRUE(Fails("{{ d.nope.deeper }}", kCtx));
  EXPECT_TRUE(Fails("{{ nope['k'] }}"));
  EXPECT_TRUE(Fails("{{ nope() }}"));
  EXPECT_TRUE(Fails("{{ nope + 1 }}"));
  EXPECT_TRUE(Fails("{{ none.split() }}", kCtx));
}

TEST(JinjaExpressions, TypeErrorsFail) {
  EXPECT_TRUE(Fails("{{ 'a' + 1 }}"));
  EXPECT_TRUE(Fails("{{ 'a' + msg.content }}", kCtx));  // str + list, as in the fixtures
  EXPECT_TRUE(Fails("{{ 'a' < 1 }}"));
  EXPECT_TRUE(Fails("{{ 1 / 0 }}"));
  EXPECT_TRUE(Fails("{{ 'x' in none }}", kCtx));
  EXPECT_TRUE(Fails("{{ 1 in 'abc' }}"));
  EXPECT_TRUE(Fails("{{ {[1]: 2} }}"));
}

}  // namespace
}  // namespace shimmy::jinja
