// The Value type: JSON conversion, Python str()/repr(), truthiness,
// equality and ordering.
#include "jinja/value.h"

#include <gtest/gtest.h>

#include "jinja/py_text.h"

namespace shimmy::jinja {
namespace {

Value FromJson(const char* text) {
  auto v = Value::FromJson(nlohmann::ordered_json::parse(text));
  EXPECT_TRUE(v.ok());
  return v.ok() ? *v : Value();
}

TEST(JinjaValue, FromJsonKeepsTypesAndKeyOrder) {
  const Value v = FromJson(R"({"z": 1, "a": [1.0, "x", null, true], "m": {"k": 2}})");
  ASSERT_TRUE(v.is_dict());
  ASSERT_EQ(v.dict().size(), 3u);
  EXPECT_EQ(v.dict().entries()[0].first.str(), "z");
  EXPECT_TRUE(v.dict().Find("z")->is_int());
  EXPECT_TRUE(v.dict().Find("a")->list()[0].is_float());
  EXPECT_EQ(ToStr(v), "{'z': 1, 'a': [1.0, 'x', None, True], 'm': {'k': 2}}");
}

TEST(JinjaValue, StrAndRepr) {
  EXPECT_EQ(ToStr(Value()), "");
  EXPECT_EQ(ToStr(Value::None()), "None");
  EXPECT_EQ(ToStr(Value(false)), "False");
  EXPECT_EQ(ToStr(Value(-12)), "-12");
  EXPECT_EQ(Repr(Value("it's")), "\"it's\"");
  EXPECT_EQ(Repr(Value("a'b\"c")), "'a\\'b\"c'");
  EXPECT_EQ(ToStr(Value::FromList({Value(1)}, SeqKind::kTuple)), "(1,)");
  EXPECT_EQ(ToStr(Value::Markup("<b>")), "<b>");
  EXPECT_EQ(Repr(Value::Markup("<b>")), "Markup('<b>')");
}

TEST(JinjaValue, FloatReprMatchesPython) {
  EXPECT_EQ(py::FloatRepr(1.0), "1.0");
  EXPECT_EQ(py::FloatRepr(0.1), "0.1");
  EXPECT_EQ(py::FloatRepr(-0.0), "-0.0");
  EXPECT_EQ(py::FloatRepr(1e16), "1e+16");
  EXPECT_EQ(py::FloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(py::FloatRepr(1.5e-5), "1.5e-05");
  EXPECT_EQ(py::FloatRepr(0.0001), "0.0001");
  EXPECT_EQ(py::FloatRepr(123456789.125), "123456789.125");
  EXPECT_EQ(py::FloatRepr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(py::FloatRepr(2.5e300), "2.5e+300");
}

TEST(JinjaValue, TruthinessEqualityAndOrder) {
  EXPECT_FALSE(Truthy(Value()));
  EXPECT_FALSE(Truthy(Value("")));
  EXPECT_FALSE(Truthy(Value::FromList({})));
  EXPECT_TRUE(Truthy(Value::FromList({}, SeqKind::kGenerator)));  // generators are always true
  EXPECT_TRUE(Equals(Value(1), Value(1.0)));
  EXPECT_TRUE(Equals(Value(true), Value(1)));
  EXPECT_FALSE(Equals(Value::FromList({Value(1)}), Value::FromList({Value(1)}, SeqKind::kTuple)));
  EXPECT_TRUE(Equals(FromJson(R"({"a": 1, "b": 2})"), FromJson(R"({"b": 2, "a": 1})")));
  EXPECT_EQ(*Compare(Value("a"), Value("b")), -1);
  EXPECT_EQ(*Compare(Value(2), Value(1.5)), 1);
  EXPECT_FALSE(Compare(Value("a"), Value(1)).ok());
}

TEST(JinjaValue, DictKeysFollowPythonEquality) {
  Dict d;
  d.Set(Value(1), Value("int"));
  d.Set(Value(true), Value("bool"));  // True == 1: same key
  d.Set(Value("1"), Value("str"));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.Find(Value(1.0))->str(), "bool");
  EXPECT_EQ(d.Find("1")->str(), "str");
}

}  // namespace
}  // namespace shimmy::jinja
