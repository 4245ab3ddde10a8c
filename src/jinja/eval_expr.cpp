// Expression evaluation for the Interpreter.
#include <algorithm>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/operators.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

Error UndefinedError(const Value& u, std::string_view fallback) {
  if (!u.undefined_hint().empty()) return Error(u.undefined_hint());
  return Error(std::string(fallback));
}

// Python slice bounds for a sequence of length n.
struct SliceBounds {
  int64_t start, stop, step;
};

Result<SliceBounds> ResolveSlice(const Value* start, const Value* stop, const Value* step,
                                 int64_t n) {
  auto as_int = [](const Value* v, int64_t* out) -> Status {
    if (v == nullptr || v->is_none()) return {};
    if (!v->is_integral()) {
      return Error("slice indices must be integers or None, not " + TypeName(*v));
    }
    *out = v->int_value();
    return {};
  };
  int64_t st = 1;
  SHIMMY_JINJA_CHECK(as_int(step, &st));
  if (st == 0) return Error("slice step cannot be zero");
  int64_t lo = st > 0 ? 0 : n - 1;
  int64_t hi = st > 0 ? n : -1;
  int64_t given = 0;
  if (start != nullptr && !start->is_none()) {
    SHIMMY_JINJA_CHECK(as_int(start, &given));
    if (given < 0) given += n;
    lo = st > 0 ? std::clamp<int64_t>(given, 0, n) : std::clamp<int64_t>(given, -1, n - 1);
  }
  if (stop != nullptr && !stop->is_none()) {
    SHIMMY_JINJA_CHECK(as_int(stop, &given));
    if (given < 0) given += n;
    hi = st > 0 ? std::clamp<int64_t>(given, 0, n) : std::clamp<int64_t>(given, -1, n - 1);
  }
  return SliceBounds{lo, hi, st};
}

}  // namespace

Value UndefinedAttribute(const Value& obj, std::string_view name) {
  std::string type = obj.is_none() ? "None" : TypeName(obj) + " object";
  return Value::Undefined("'" + type + "' has no attribute '" + std::string(name) + "'");
}

Value UndefinedElement(const Value& obj, const Value& key) {
  std::string type = obj.is_none() ? "None" : TypeName(obj) + " object";
  return Value::Undefined(type + " has no element " + Repr(key));
}

Value Interpreter::GetAttr(const Value& obj, std::string_view name) {
  bool unsafe = false;
  if (HasMethod(obj, name, &unsafe)) {
    // A bound method; calls normally take the direct path in EvalCall.
    struct Bound : Function {
      Value self;
      std::string method;
      std::string_view name() const override { return method; }
      Result<Value> Call(Interpreter& interp, CallArgs args) const override {
        return CallMethod(interp, self, method, args);
      }
    };
    auto bound = std::make_shared<Bound>();
    bound->self = obj;
    bound->method = std::string(name);
    return Value::FromFunction(std::move(bound));
  }
  if (unsafe) {
    return Value::Undefined("access to attribute '" + std::string(name) + "' of '" + TypeName(obj) +
                            "' object is unsafe.");
  }
  if (obj.is_dict()) {
    if (const Value* v = obj.dict().Find(name)) return *v;
  } else if (obj.is_namespace()) {
    if (const Value* v = obj.namespace_dict().Find(name)) return *v;
  }
  return UndefinedAttribute(obj, name);
}

Result<Value> Interpreter::GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedError(obj, "undefined value has no items");
  if (obj.is_dict()) {
    if (const Value* v = obj.dict().Find(key)) return *v;
  } else if (obj.is_sequence() || obj.is_string()) {
    if (key.is_integral()) {
      int64_t i = key.int_value();
      if (obj.is_string()) {
        const std::u32string cps = py::Decode(obj.str());
        const auto n = static_cast<int64_t>(cps.size());
        if (i < 0) i += n;
        if (i >= 0 && i < n)
          return Value(py::Encode(std::u32string(1, cps[static_cast<size_t>(i)])));
      } else {
        const auto n = static_cast<int64_t>(obj.list().size());
        if (i < 0) i += n;
        if (i >= 0 && i < n) return obj.list()[static_cast<size_t>(i)];
      }
      return UndefinedElement(obj, key);
    }
  }
  if (key.is_string()) return GetAttr(obj, key.str());
  return UndefinedElement(obj, key);
}

Result<Value> Interpreter::Eval(const Expr& e) {
  if (auto charged = Charge(1); !charged) return Located(e, charged.error());
  switch (e.kind) {
    case ExprKind::kLiteral:
      return static_cast<const LiteralExpr&>(e).value;
    case ExprKind::kName:
      return EvalName(static_cast<const NameExpr&>(e));
    case ExprKind::kSequence: {
      const auto& s = static_cast<const SequenceExpr&>(e);
      List items;
      items.reserve(s.items.size());
      for (const auto& item : s.items) {
        Value v;
        SHIMMY_JINJA_ASSIGN(v, Eval(*item));
        items.push_back(std::move(v));
      }
      Value list = Value::FromList(std::move(items), s.seq);
      if (list.nesting() > kMaxNesting) return Located(e, Error("value nested too deeply"));
      return list;
    }
    case ExprKind::kDict: {
      Dict dict;
      for (const auto& [key_expr, value_expr] : static_cast<const DictExpr&>(e).entries) {
        Value key, value;
        SHIMMY_JINJA_ASSIGN(key, Eval(*key_expr));
        SHIMMY_JINJA_ASSIGN(value, Eval(*value_expr));
        if (auto hashable = RequireHashable(key); !hashable)
          return Located(*key_expr, hashable.error());
        dict.Set(std::move(key), std::move(value));
      }
      Value v = Value::FromDict(std::move(dict));
      if (v.nesting() > kMaxNesting) return Located(e, Error("value nested too deeply"));
      return v;
    }
    case ExprKind::kAttr: {
      const auto& a = static_cast<const AttrExpr&>(e);
      Value obj;
      SHIMMY_JINJA_ASSIGN(obj, Eval(*a.object));
      if (obj.is_undefined()) return Located(e, UndefinedError(obj, "undefined value"));
      return GetAttr(obj, a.name);
    }
    case ExprKind::kItem: {
      const auto& item = static_cast<const ItemExpr&>(e);
      Value obj, key;
      SHIMMY_JINJA_ASSIGN(obj, Eval(*item.object));
      SHIMMY_JINJA_ASSIGN(key, Eval(*item.index));
      auto v = GetItem(obj, key);
      if (!v) return Located(e, v.error());
      return v;
    }
    case ExprKind::kSlice:
      return EvalSlice(static_cast<const SliceExpr&>(e));
    case ExprKind::kCall:
      return EvalCall(static_cast<const CallExpr&>(e));
    case ExprKind::kFilter:
      return EvalFilter(static_cast<const FilterExpr&>(e), nullptr);
    case ExprKind::kTest:
      return EvalTest(static_cast<const TestExpr&>(e));
    case ExprKind::kUnary: {
      const auto& u = static_cast<const UnaryExpr&>(e);
      Value v;
      SHIMMY_JINJA_ASSIGN(v, Eval(*u.operand));
      if (u.op == UnaryOp::kNot) return Value(!Truthy(v));
      auto r = UnaryArithmetic(u.op, v);
      if (!r) return Located(e, r.error());
      return r;
    }
    case ExprKind::kBinary:
      return EvalBinary(static_cast<const BinaryExpr&>(e));
    case ExprKind::kCompare:
      return EvalCompare(static_cast<const CompareExpr&>(e));
    case ExprKind::kCond: {
      const auto& c = static_cast<const CondExpr&>(e);
      Value test;
      SHIMMY_JINJA_ASSIGN(test, Eval(*c.test));
      if (Truthy(test)) return Eval(*c.then_expr);
      if (c.else_expr) return Eval(*c.else_expr);
      return Value::Undefined("the inline if-expression on line " + std::to_string(c.line) +
                              " evaluated to false and no else section was defined.");
    }
  }
  return Value();
}

Result<Value> Interpreter::EvalName(const NameExpr& e) {
  for (const Frame* f = frame_.get(); f != nullptr; f = f->parent.get()) {
    if (const Value* v = f->Find(e.name)) return *v;
  }
  Value global = FindGlobal(e.name);
  if (!global.is_undefined()) return global;
  return Value::Undefined("'" + e.name + "' is undefined");
}

Result<CallArgs> Interpreter::EvalArgs(const Args& args) {
  CallArgs out;
  for (const auto& p : args.positional) {
    Value v;
    SHIMMY_JINJA_ASSIGN(v, Eval(*p));
    out.positional.push_back(std::move(v));
  }
  if (args.star_args) {
    Value v;
    SHIMMY_JINJA_ASSIGN(v, Eval(*args.star_args));
    auto items = Iterate(v);
    if (!items) return Located(*args.star_args, items.error());
    for (Value& item : *items) out.positional.push_back(std::move(item));
  }
  for (const auto& [name, expr] : args.keywords) {
    Value v;
    SHIMMY_JINJA_ASSIGN(v, Eval(*expr));
    out.keywords.emplace_back(name, std::move(v));
  }
  if (args.star_kwargs) {
    Value v;
    SHIMMY_JINJA_ASSIGN(v, Eval(*args.star_kwargs));
    if (!v.is_dict()) {
      return Located(*args.star_kwargs,
                     Error("argument after ** must be a mapping, not " + TypeName(v)));
    }
    for (const auto& [key, value] : v.dict().entries()) {
      out.keywords.emplace_back(ToStr(key), value);
    }
  }
  return out;
}

Result<Value> Interpreter::EvalCall(const CallExpr& e) {
  // obj.method(...) is called directly, without building a bound method.
  if (e.callee->kind == ExprKind::kAttr) {
    const auto& attr = static_cast<const AttrExpr&>(*e.callee);
    Value obj;
    SHIMMY_JINJA_ASSIGN(obj, Eval(*attr.object));
    if (obj.is_undefined()) return Located(e, UndefinedError(obj, "undefined value"));
    bool unsafe = false;
    if (HasMethod(obj, attr.name, &unsafe)) {
      CallArgs args;
      SHIMMY_JINJA_ASSIGN(args, EvalArgs(e.args));
      auto r = CallMethod(*this, obj, attr.name, args);
      if (!r) return Located(e, r.error());
      if (auto charged = ChargeCall(obj, args, *r); !charged) return Located(e, charged.error());
      return r;
    }
    Value callee = GetAttr(obj, attr.name);
    CallArgs args;
    SHIMMY_JINJA_ASSIGN(args, EvalArgs(e.args));
    auto r = CallValue(callee, std::move(args));
    if (!r) return Located(e, r.error());
    return r;
  }
  Value callee;
  SHIMMY_JINJA_ASSIGN(callee, Eval(*e.callee));
  CallArgs args;
  SHIMMY_JINJA_ASSIGN(args, EvalArgs(e.args));
  auto r = CallValue(callee, std::move(args));
  if (!r) return Located(e, r.error());
  if (auto charged = ChargeCall(Value(), CallArgs(), *r); !charged)
    return Located(e, charged.error());
  return r;
}

Result<Value> Interpreter::CallValue(const Value& callee, CallArgs args) {
  if (callee.is_function()) return callee.function().Call(*this, std::move(args));
  if (callee.is_undefined()) return UndefinedError(callee, "undefined value is not callable");
  return Error("'" + TypeName(callee) + "' object is not callable");
}

Result<Value> Interpreter::CallFilter(std::string_view name, const Value& input,
                                      const CallArgs& args) {
  FilterFn fn = FindFilter(name);
  if (fn == nullptr) return Error("no filter named '" + std::string(name) + "'");
  return fn(*this, input, args);
}

Result<bool> Interpreter::CallTest(std::string_view name, const Value& input,
                                   const CallArgs& args) {
  TestFn fn = FindTest(name);
  if (fn == nullptr) return Error("no test named '" + std::string(name) + "'");
  return fn(*this, input, args);
}

Result<Value> Interpreter::EvalFilter(const FilterExpr& e, const Value* body_input) {
  Value input;
  if (e.operand == nullptr) {
    input = *body_input;
  } else if (body_input != nullptr && e.operand->kind == ExprKind::kFilter) {
    SHIMMY_JINJA_ASSIGN(input, EvalFilter(static_cast<const FilterExpr&>(*e.operand), body_input));
  } else {
    SHIMMY_JINJA_ASSIGN(input, Eval(*e.operand));
  }
  CallArgs args;
  SHIMMY_JINJA_ASSIGN(args, EvalArgs(e.args));
  auto r = CallFilter(e.name, input, args);
  if (!r) return Located(e, r.error());
  if (auto charged = ChargeCall(input, args, *r); !charged) return Located(e, charged.error());
  return r;
}

Result<Value> Interpreter::EvalTest(const TestExpr& e) {
  Value input;
  SHIMMY_JINJA_ASSIGN(input, Eval(*e.operand));
  CallArgs args;
  SHIMMY_JINJA_ASSIGN(args, EvalArgs(e.args));
  auto r = CallTest(e.name, input, args);
  if (!r) return Located(e, r.error());
  if (auto charged = ChargeCall(input, args, Value()); !charged) return Located(e, charged.error());
  return Value(*r != e.negated);
}

Result<Value> Interpreter::EvalBinary(const BinaryExpr& e) {
  Value left;
  SHIMMY_JINJA_ASSIGN(left, Eval(*e.left));
  if (e.op == BinaryOp::kAnd) return Truthy(left) ? Eval(*e.right) : left;
  if (e.op == BinaryOp::kOr) return Truthy(left) ? left : Eval(*e.right);
  Value right;
  SHIMMY_JINJA_ASSIGN(right, Eval(*e.right));
  if (e.op == BinaryOp::kConcat) {
    std::string l = ToStr(left);
    std::string r = ToStr(right);
    if (auto size = CheckSize(l.size() + r.size()); !size) return Located(e, size.error());
    Value joined(l + r);
    if (auto charged = ChargeCall(Value(), CallArgs(), joined); !charged) {
      return Located(e, charged.error());
    }
    return joined;
  }
  auto r = Arithmetic(e.op, left, right, options_.max_bytes);
  if (!r) return Located(e, r.error());
  if (auto charged = ChargeCall(Value(), CallArgs(), *r); !charged)
    return Located(e, charged.error());
  return r;
}

Result<Value> Interpreter::EvalCompare(const CompareExpr& e) {
  Value left;
  SHIMMY_JINJA_ASSIGN(left, Eval(*e.first));
  for (const auto& [op, operand] : e.rest) {
    Value right;
    SHIMMY_JINJA_ASSIGN(right, Eval(*operand));
    if (auto charged = ChargeCall(left, CallArgs(), right); !charged)
      return Located(e, charged.error());
    bool ok = false;
    switch (op) {
      case CompareOp::kEq:
        ok = Equals(left, right);
        break;
      case CompareOp::kNe:
        ok = !Equals(left, right);
        break;
      case CompareOp::kIn:
      case CompareOp::kNotIn: {
        auto in = Contains(right, left);
        if (!in) return Located(e, in.error());
        ok = *in == (op == CompareOp::kIn);
        break;
      }
      default: {
        auto c = Compare(left, right);
        if (!c) {
          std::string message = c.error().message();
          if (message.rfind("'<'", 0) == 0) {
            const char* sym = op == CompareOp::kLt   ? "'<'"
                              : op == CompareOp::kLe ? "'<='"
                              : op == CompareOp::kGt ? "'>'"
                                                     : "'>='";
            message.replace(0, 3, sym);
          }
          return Located(e, Error(message));
        }
        ok = op == CompareOp::kLt   ? *c < 0
             : op == CompareOp::kLe ? *c <= 0
             : op == CompareOp::kGt ? *c > 0
                                    : *c >= 0;
      }
    }
    if (!ok) return Value(false);
    left = std::move(right);
  }
  return Value(true);
}

Result<Value> Interpreter::EvalSlice(const SliceExpr& e) {
  Value obj, start, stop, step;
  SHIMMY_JINJA_ASSIGN(obj, Eval(*e.object));
  if (e.start) {
    SHIMMY_JINJA_ASSIGN(start, Eval(*e.start));
  } else {
    start = Value::None();
  }
  if (e.stop) {
    SHIMMY_JINJA_ASSIGN(stop, Eval(*e.stop));
  } else {
    stop = Value::None();
  }
  if (e.step) {
    SHIMMY_JINJA_ASSIGN(step, Eval(*e.step));
  } else {
    step = Value::None();
  }
  if (obj.is_undefined()) return Located(e, UndefinedError(obj, "undefined value has no items"));
  if (!obj.is_string() && !obj.is_sequence())
    return Value::Undefined("object is not subscriptable");
  std::u32string cps;
  int64_t n = 0;
  if (obj.is_string()) {
    cps = py::Decode(obj.str());
    n = static_cast<int64_t>(cps.size());
  } else {
    n = static_cast<int64_t>(obj.list().size());
  }
  auto bounds = ResolveSlice(&start, &stop, &step, n);
  if (!bounds) return Located(e, bounds.error());
  const auto [lo, hi, st] = *bounds;
  if (obj.is_string()) {
    std::u32string out;
    for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st)
      out.push_back(cps[static_cast<size_t>(i)]);
    return Value(py::Encode(out));
  }
  List out;
  for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st)
    out.push_back(obj.list()[static_cast<size_t>(i)]);
  return Value::FromList(std::move(out), obj.seq_kind());
}

}  // namespace shimmy::jinja
