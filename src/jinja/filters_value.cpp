// jinja2's filters for single values: default, int, float, abs, round,
// attr, and Hugging Face's tojson.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

Result<Value> Default(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("default", args, {"default_value", "boolean"}));
  const bool boolean = a.has(1) && Truthy(*a[1]);
  if (v.is_undefined() || (boolean && !Truthy(v))) return a.Or(0, Value(std::string()));
  return v;
}

// Python int(str, base) for the int filter; nullopt-like failure as false.
bool ParseInt(const std::string& text, int base, int64_t* out) {
  std::string s = py::Strip(text, nullptr, true, true);
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && s[i - 1] != '_') continue;
    digits += s[i];
  }
  if (digits.empty()) return false;
  size_t start = (digits[0] == '+' || digits[0] == '-') ? 1 : 0;
  if (digits.size() > start + 1 && digits[start] == '0') {
    const char p = static_cast<char>(digits[start + 1] | 0x20);
    if ((base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b')) {
      digits.erase(start, 2);
    }
  }
  if (digits.size() == start) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(digits.c_str(), &end, base);
  if (errno != 0 || *end != '\0' || std::isspace(static_cast<unsigned char>(digits[start])) ||
      digits[start] == '+' || digits[start] == '-') {
    return false;
  }
  *out = v;
  return true;
}

bool ParseFloat(const std::string& text, double* out) {
  const std::string s = py::Strip(text, nullptr, true, true);
  if (s.empty()) return false;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (*end != '\0') return false;
  // strtod accepts hex floats and "infinity"-style words Python also takes;
  // refuse the hex forms Python's float() rejects.
  if (s.find('x') != std::string::npos || s.find('X') != std::string::npos) return false;
  *out = d;
  return true;
}

Result<Value> Int(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("int", args, {"default", "base"}));
  const Value fallback = a.Or(0, Value(0));
  const int base = a.has(1) && a[1]->is_integral() ? static_cast<int>(a[1]->int_value()) : 10;
  if (v.is_undefined())
    return Error(v.undefined_hint().empty() ? "undefined value" : v.undefined_hint());
  if (v.is_integral()) return Value(v.int_value());
  if (v.is_float()) {
    if (!std::isfinite(v.float_value())) return fallback;
    return Value(static_cast<int64_t>(std::trunc(v.float_value())));
  }
  if (v.is_string()) {
    int64_t i = 0;
    if (ParseInt(v.str(), base, &i)) return Value(i);
    double d = 0;
    if (ParseFloat(v.str(), &d) && std::isfinite(d))
      return Value(static_cast<int64_t>(std::trunc(d)));
  }
  return fallback;
}

Result<Value> Float(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("float", args, {"default"}));
  if (v.is_undefined())
    return Error(v.undefined_hint().empty() ? "undefined value" : v.undefined_hint());
  if (v.is_number()) return Value(v.AsDouble());
  double d = 0;
  if (v.is_string() && ParseFloat(v.str(), &d)) return Value(d);
  return a.Or(0, Value(0.0));
}

Result<Value> Abs(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("abs", args, {}));
  if (v.is_float()) return Value(std::fabs(v.float_value()));
  if (v.is_integral()) {
    if (v.int_value() == INT64_MIN) return Error("integer overflow");
    return Value(v.int_value() < 0 ? -v.int_value() : v.int_value());
  }
  return Error("bad operand type for abs(): '" + TypeName(v) + "'");
}

// Python's round(x, ndigits): correctly rounded, ties to even.
double PyRound(double x, int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits > 300) return x;
  if (digits >= 0) {
    char buf[400];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(digits), x);
    return std::strtod(buf, nullptr);
  }
  const double scale = std::pow(10.0, static_cast<double>(-digits));
  const double y = x / scale;
  double r = std::nearbyint(y);
  return r * scale;
}

Result<Value> Round(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("round", args, {"precision", "method"}));
  const Value precision_v = a.Or(0, Value(0));
  if (!precision_v.is_integral()) return Error("round() precision must be an integer");
  const int64_t precision = precision_v.int_value();
  const std::string method = a.has(1) ? ToStr(*a[1]) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    return Error("method must be common, ceil or floor");
  }
  if (!v.is_number()) return Error("type " + TypeName(v) + " doesn't define __round__ method");
  if (method == "common") {
    if (v.is_integral()) return Value(v.int_value());
    return Value(PyRound(v.float_value(), precision));
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.AsDouble() * scale;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

Result<Value> Attr(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("attr", args, {"name"}));
  if (!a.has(0) || !a[0]->is_string()) return Error("attribute name must be a string");
  if (v.is_undefined())
    return Error(v.undefined_hint().empty() ? "undefined value" : v.undefined_hint());
  if (v.is_dict()) {
    bool unsafe = false;
    if (!HasMethod(v, a[0]->str(), &unsafe)) return UndefinedAttribute(v, a[0]->str());
  }
  return interp.GetAttr(v, a[0]->str());
}

// HF: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
Result<Value> ToJson(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(
      a, BindArgs("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonDumpOptions options;
  options.ensure_ascii = a.has(0) && Truthy(*a[0]);
  options.indent = a.Or(1, Value::None());
  if (!options.indent.is_none()) options.item_separator = ",";
  if (a.has(2) && !a[2]->is_none()) {
    List seps;
    SHIMMY_JINJA_ASSIGN(seps, Iterate(*a[2]));
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string()) {
      return Error("separators must be a pair of strings");
    }
    options.item_separator = seps[0].str();
    options.key_separator = seps[1].str();
  }
  options.sort_keys = a.has(3) && Truthy(*a[3]);
  std::string out;
  SHIMMY_JINJA_ASSIGN(out, JsonDump(v, options));
  return Value(std::move(out));
}
}  // namespace

FilterFn FindValueFilter(std::string_view name) {
  static constexpr std::pair<std::string_view, FilterFn> kFilters[] = {
      {"default", Default}, {"d", Default},   {"int", Int},   {"float", Float},
      {"abs", Abs},         {"round", Round}, {"attr", Attr}, {"tojson", ToJson},
  };
  for (const auto& [filter_name, fn] : kFilters) {
    if (filter_name == name) return fn;
  }
  return nullptr;
}

}  // namespace shimmy::jinja
