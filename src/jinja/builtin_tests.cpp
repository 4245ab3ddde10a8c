// jinja2's built-in tests (`x is defined`, `x is divisibleby 3`, ...).
#include <algorithm>
#include <array>
#include <utility>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/operators.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

Result<const Value*> OneArg(std::string_view test, const CallArgs& args) {
  if (args.positional.size() + args.keywords.size() != 1) {
    return Error("test '" + std::string(test) + "' takes exactly one argument");
  }
  return args.positional.empty() ? &args.keywords[0].second : &args.positional[0];
}

Result<bool> NoArgs(std::string_view test, const CallArgs& args) {
  if (!args.positional.empty() || !args.keywords.empty()) {
    return Error("test '" + std::string(test) + "' takes no arguments");
  }
  return true;
}

#define SHIMMY_JINJA_SIMPLE_TEST(fn_name, test_name, expr)                   \
  Result<bool> fn_name(Interpreter&, const Value& v, const CallArgs& args) { \
    SHIMMY_JINJA_CHECK(NoArgs(test_name, args));                             \
    return (expr);                                                           \
  }

SHIMMY_JINJA_SIMPLE_TEST(Defined, "defined", !v.is_undefined())
SHIMMY_JINJA_SIMPLE_TEST(Undefined, "undefined", v.is_undefined())
SHIMMY_JINJA_SIMPLE_TEST(None, "none", v.is_none())
SHIMMY_JINJA_SIMPLE_TEST(Boolean, "boolean", v.is_bool())
SHIMMY_JINJA_SIMPLE_TEST(True, "true", v.is_bool() && v.bool_value())
SHIMMY_JINJA_SIMPLE_TEST(False, "false", v.is_bool() && !v.bool_value())
SHIMMY_JINJA_SIMPLE_TEST(Integer, "integer", v.is_int())
SHIMMY_JINJA_SIMPLE_TEST(Float, "float", v.is_float())
SHIMMY_JINJA_SIMPLE_TEST(Number, "number", v.is_number())
SHIMMY_JINJA_SIMPLE_TEST(String, "string", v.is_string())
SHIMMY_JINJA_SIMPLE_TEST(Mapping, "mapping", v.is_dict())
SHIMMY_JINJA_SIMPLE_TEST(Callable, "callable", v.is_function() || v.is_undefined())
SHIMMY_JINJA_SIMPLE_TEST(Escaped, "escaped", v.is_markup())
SHIMMY_JINJA_SIMPLE_TEST(Sequence, "sequence",
                         v.is_undefined() || v.is_string() || v.is_dict() || v.is_sequence())
SHIMMY_JINJA_SIMPLE_TEST(Iterable, "iterable",
                         v.is_undefined() || v.is_string() || v.is_dict() || v.is_list())

#undef SHIMMY_JINJA_SIMPLE_TEST

Result<bool> Lower(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(NoArgs("lower", args));
  const std::string s = ToStr(v);
  bool cased = false;
  for (char32_t c : py::Decode(s)) {
    if (py::IsUpper(c)) return false;
    cased = cased || py::IsLower(c);
  }
  return cased;
}

Result<bool> Upper(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(NoArgs("upper", args));
  const std::string s = ToStr(v);
  bool cased = false;
  for (char32_t c : py::Decode(s)) {
    if (py::IsLower(c)) return false;
    cased = cased || py::IsUpper(c);
  }
  return cased;
}

// Python's `value % divisor == expected`, as jinja2's odd/even/divisibleby.
Result<bool> RemainderIs(const Value& v, const Value& divisor, int expected) {
  Value r;
  SHIMMY_JINJA_ASSIGN(r, Arithmetic(BinaryOp::kMod, v, divisor, SIZE_MAX));
  return Equals(r, Value(expected));
}

Result<bool> Odd(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(NoArgs("odd", args));
  return RemainderIs(v, Value(2), 1);
}

Result<bool> Even(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(NoArgs("even", args));
  return RemainderIs(v, Value(2), 0);
}

Result<bool> DivisibleBy(Interpreter&, const Value& v, const CallArgs& args) {
  const Value* num = nullptr;
  SHIMMY_JINJA_ASSIGN(num, OneArg("divisibleby", args));
  return RemainderIs(v, *num, 0);
}

Result<bool> In(Interpreter&, const Value& v, const CallArgs& args) {
  const Value* seq = nullptr;
  SHIMMY_JINJA_ASSIGN(seq, OneArg("in", args));
  return Contains(*seq, v);
}

Result<bool> SameAs(Interpreter&, const Value& v, const CallArgs& args) {
  const Value* other = nullptr;
  SHIMMY_JINJA_ASSIGN(other, OneArg("sameas", args));
  if (v.kind() != other->kind()) return false;
  switch (v.kind()) {
    case ValueKind::kNone:
    case ValueKind::kUndefined:
      return v.is_none();
    case ValueKind::kBool:
      return v.bool_value() == other->bool_value();
    case ValueKind::kInt:  // CPython caches small ints
      return v.int_value() == other->int_value() && v.int_value() >= -5 && v.int_value() <= 256;
    default:
      return v.identity() != nullptr && v.identity() == other->identity();
  }
}

Result<bool> IsFilter(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(NoArgs("filter", args));
  return v.is_string() && FindFilter(v.str()) != nullptr;
}

Result<bool> IsTest(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(NoArgs("test", args));
  return v.is_string() && FindTest(v.str()) != nullptr;
}

template <CompareOp kOp>
Result<bool> Comparison(Interpreter&, const Value& v, const CallArgs& args) {
  const Value* other = nullptr;
  SHIMMY_JINJA_ASSIGN(other, OneArg("comparison", args));
  if constexpr (kOp == CompareOp::kEq) {
    return Equals(v, *other);
  } else if constexpr (kOp == CompareOp::kNe) {
    return !Equals(v, *other);
  } else {
    int c = 0;
    SHIMMY_JINJA_ASSIGN(c, Compare(v, *other));
    if constexpr (kOp == CompareOp::kLt) return c < 0;
    if constexpr (kOp == CompareOp::kLe) return c <= 0;
    if constexpr (kOp == CompareOp::kGt) return c > 0;
    return c >= 0;
  }
}

}  // namespace

TestFn FindTest(std::string_view name) {
  static constexpr std::pair<std::string_view, TestFn> kTests[] = {
      {"defined", Defined},
      {"undefined", Undefined},
      {"none", None},
      {"boolean", Boolean},
      {"true", True},
      {"false", False},
      {"integer", Integer},
      {"float", Float},
      {"number", Number},
      {"string", String},
      {"mapping", Mapping},
      {"callable", Callable},
      {"escaped", Escaped},
      {"sequence", Sequence},
      {"iterable", Iterable},
      {"lower", Lower},
      {"upper", Upper},
      {"odd", Odd},
      {"even", Even},
      {"divisibleby", DivisibleBy},
      {"in", In},
      {"sameas", SameAs},
      {"filter", IsFilter},
      {"test", IsTest},
      {"eq", Comparison<CompareOp::kEq>},
      {"equalto", Comparison<CompareOp::kEq>},
      {"==", Comparison<CompareOp::kEq>},
      {"ne", Comparison<CompareOp::kNe>},
      {"!=", Comparison<CompareOp::kNe>},
      {"lt", Comparison<CompareOp::kLt>},
      {"lessthan", Comparison<CompareOp::kLt>},
      {"<", Comparison<CompareOp::kLt>},
      {"le", Comparison<CompareOp::kLe>},
      {"<=", Comparison<CompareOp::kLe>},
      {"gt", Comparison<CompareOp::kGt>},
      {"greaterthan", Comparison<CompareOp::kGt>},
      {">", Comparison<CompareOp::kGt>},
      {"ge", Comparison<CompareOp::kGe>},
      {">=", Comparison<CompareOp::kGe>},
  };
  for (const auto& [test_name, fn] : kTests) {
    if (test_name == name) return fn;
  }
  return nullptr;
}

}  // namespace shimmy::jinja
