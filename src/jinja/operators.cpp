#include "jinja/operators.h"

#include <cmath>

#include "jinja/builtins.h"

namespace shimmy::jinja {
namespace {

const char* OpSymbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "** or pow()";
    default:
      return "?";
  }
}

Error Unsupported(BinaryOp op, const Value& a, const Value& b) {
  return Error(std::string("unsupported operand type(s) for ") + OpSymbol(op) + ": '" +
               TypeName(a) + "' and '" + TypeName(b) + "'");
}

Error UndefinedUse(const Value& u) {
  return Error(u.undefined_hint().empty() ? "undefined value used in an expression"
                                          : u.undefined_hint());
}

Error Overflow() { return Error("integer overflow (results beyond 64 bits are not supported)"); }

Result<Value> IntPow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) return Overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow();
  }
  return Value(result);
}

Result<Value> IntArithmetic(BinaryOp op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case BinaryOp::kAdd:
      if (__builtin_add_overflow(x, y, &r)) return Overflow();
      return Value(r);
    case BinaryOp::kSub:
      if (__builtin_sub_overflow(x, y, &r)) return Overflow();
      return Value(r);
    case BinaryOp::kMul:
      if (__builtin_mul_overflow(x, y, &r)) return Overflow();
      return Value(r);
    case BinaryOp::kDiv:
      if (y == 0) return Error("division by zero");
      return Value(static_cast<double>(x) / static_cast<double>(y));
    case BinaryOp::kFloorDiv: {
      if (y == 0) return Error("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) return Overflow();
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value(q);
    }
    case BinaryOp::kMod: {
      if (y == 0) return Error("integer division or modulo by zero");
      if (y == -1) return Value(int64_t{0});
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    case BinaryOp::kPow:
      if (y < 0) {
        if (x == 0) return Error("0.0 cannot be raised to a negative power");
        return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      return IntPow(x, y);
    default:
      return Error("bad arithmetic operator");
  }
}

Result<Value> FloatArithmetic(BinaryOp op, double x, double y) {
  switch (op) {
    case BinaryOp::kAdd:
      return Value(x + y);
    case BinaryOp::kSub:
      return Value(x - y);
    case BinaryOp::kMul:
      return Value(x * y);
    case BinaryOp::kDiv:
      if (y == 0) return Error("float division by zero");
      return Value(x / y);
    case BinaryOp::kFloorDiv: {
      if (y == 0) return Error("float floor division by zero");
      // Python's float floor division goes through fmod, so 1 // 0.1 is 9.0.
      double mod = std::fmod(x, y);
      double div = (x - mod) / y;
      if (mod != 0 && ((y < 0) != (mod < 0))) div -= 1.0;
      if (div == 0) return Value(std::copysign(0.0, x / y));
      double floored = std::floor(div);
      if (div - floored > 0.5) floored += 1.0;
      return Value(floored);
    }
    case BinaryOp::kMod: {
      if (y == 0) return Error("float modulo");
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      if (m == 0) m = std::copysign(0.0, y);
      return Value(m);
    }
    case BinaryOp::kPow: {
      if (x == 0 && y < 0) return Error("0.0 cannot be raised to a negative power");
      if (x < 0 && std::isfinite(y) && y != std::floor(y)) {
        return Error("complex results are not supported");  // Python returns a complex
      }
      const double r = std::pow(x, y);
      if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) {
        return Error("(34, 'Numerical result out of range')");
      }
      return Value(r);
    }
    default:
      return Error("bad arithmetic operator");
  }
}

Result<Value> Repeat(const Value& seq, int64_t times, size_t max_bytes) {
  if (times <= 0) {
    if (seq.is_string()) return seq.is_markup() ? Value::Markup("") : Value(std::string());
    return Value::FromList({}, seq.seq_kind());
  }
  // A list item costs a Value (32 bytes) and more: cap lists tighter.
  const size_t unit = seq.is_string() ? seq.str().size() : seq.list().size() * 32;
  if (unit != 0 && static_cast<uint64_t>(times) > max_bytes / unit) {
    return Error("result too large (limit " + std::to_string(max_bytes) + ")");
  }
  if (seq.is_string()) {
    std::string out;
    out.reserve(unit * static_cast<size_t>(times));
    for (int64_t i = 0; i < times; ++i) out += seq.str();
    return seq.is_markup() ? Value::Markup(std::move(out)) : Value(std::move(out));
  }
  List out;
  out.reserve(unit * static_cast<size_t>(times));
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.list().begin(), seq.list().end());
  return Value::FromList(std::move(out), seq.seq_kind());
}

}  // namespace

Result<Value> Arithmetic(BinaryOp op, const Value& a, const Value& b, size_t max_bytes) {
  if (op == BinaryOp::kMod && a.is_string()) {  // str % x formats whatever x is
    auto s = PercentFormat(a.str(), b, a.is_markup());
    if (!s) return s.error();
    return a.is_markup() ? Value::Markup(std::move(*s)) : Value(std::move(*s));
  }
  if (a.is_undefined()) return UndefinedUse(a);
  if (b.is_undefined()) return UndefinedUse(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return FloatArithmetic(op, a.AsDouble(), b.AsDouble());
    return IntArithmetic(op, a.int_value(), b.int_value());
  }
  switch (op) {
    case BinaryOp::kAdd:
      if ((a.is_markup() && b.is_string()) || (b.is_markup() && a.is_string())) {
        std::string joined = MarkupText(a) + MarkupText(b);
        if (joined.size() > max_bytes) return Error("result too large");
        return Value::Markup(std::move(joined));
      }
      if (a.is_string()) {
        if (!b.is_string()) {
          return Error("can only concatenate str (not \"" + TypeName(b) + "\") to str");
        }
        if (a.str().size() + b.str().size() > max_bytes) return Error("result too large");
        return Value(a.str() + b.str());
      }
      if (a.is_sequence()) {
        if (!b.is_list() || b.seq_kind() != a.seq_kind()) {
          return Error("can only concatenate " + TypeName(a) + " (not \"" + TypeName(b) +
                       "\") to " + TypeName(a));
        }
        if ((a.list().size() + b.list().size()) * 32 > max_bytes) return Error("result too large");
        List out = a.list();
        out.insert(out.end(), b.list().begin(), b.list().end());
        return Value::FromList(std::move(out), a.seq_kind());
      }
      break;
    case BinaryOp::kMul:
      if ((a.is_string() || a.is_sequence()) && b.is_integral())
        return Repeat(a, b.int_value(), max_bytes);
      if ((b.is_string() || b.is_sequence()) && a.is_integral())
        return Repeat(b, a.int_value(), max_bytes);
      break;
    default:
      break;
  }
  return Unsupported(op, a, b);
}

Result<Value> UnaryArithmetic(UnaryOp op, const Value& v) {
  if (v.is_undefined()) return UndefinedUse(v);
  if (v.is_float()) return op == UnaryOp::kNeg ? Value(-v.float_value()) : v;
  if (v.is_integral()) {
    if (op == UnaryOp::kPos) return Value(v.int_value());
    if (v.int_value() == INT64_MIN) return Overflow();
    return Value(-v.int_value());
  }
  return Error(std::string("bad operand type for unary ") + (op == UnaryOp::kNeg ? "-" : "+") +
               ": '" + TypeName(v) + "'");
}

Result<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case ValueKind::kUndefined:
      return false;
    case ValueKind::kString:
      if (!item.is_string()) {
        return Error("'in <string>' requires string as left operand, not " + TypeName(item));
      }
      return container.str().find(item.str()) != std::string::npos;
    case ValueKind::kList:
      for (const Value& v : container.list()) {
        if (Equals(v, item)) return true;
      }
      return false;
    case ValueKind::kDict:
      if (auto hashable = RequireHashable(item); !hashable) return hashable.error();
      return container.dict().Find(item) != nullptr;
    default:
      return Error("argument of type '" + TypeName(container) + "' is not iterable");
  }
}

}  // namespace shimmy::jinja
