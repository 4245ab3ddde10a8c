// Argument binding, iteration and the global functions.
#include "jinja/builtins.h"

#include <array>
#include <ctime>

#include "jinja/interpreter.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {

Result<BoundArgs> BindArgs(std::string_view function, const CallArgs& args,
                           std::initializer_list<std::string_view> params) {
  BoundArgs bound;
  bound.slots_.assign(params.size(), nullptr);
  if (args.positional.size() > params.size()) {
    return Error(std::string(function) + "() takes at most " + std::to_string(params.size()) +
                 " argument(s) (" + std::to_string(args.positional.size()) + " given)");
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound.slots_[i] = &args.positional[i];
  for (const auto& [name, value] : args.keywords) {
    size_t i = 0;
    for (std::string_view p : params) {
      if (p == name) break;
      ++i;
    }
    if (i == params.size()) {
      return Error(std::string(function) + "() got an unexpected keyword argument '" + name + "'");
    }
    if (bound.slots_[i] != nullptr) {
      return Error(std::string(function) + "() got multiple values for argument '" + name + "'");
    }
    bound.slots_[i] = &value;
  }
  return bound;
}

Result<List> Iterate(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return List{};
    case ValueKind::kList:
      return v.list();
    case ValueKind::kDict: {
      List keys;
      keys.reserve(v.dict().size());
      for (const auto& [key, value] : v.dict().entries()) keys.push_back(key);
      return keys;
    }
    case ValueKind::kString: {
      List chars;
      const std::u32string cps = py::Decode(v.str());
      chars.reserve(cps.size());
      for (char32_t c : cps) chars.emplace_back(py::Encode(std::u32string(1, c)));
      return chars;
    }
    default:
      return Error("'" + TypeName(v) + "' object is not iterable");
  }
}

FilterFn FindFilter(std::string_view name) {
  if (FilterFn fn = FindStringFilter(name)) return fn;
  if (FilterFn fn = FindValueFilter(name)) return fn;
  return FindSequenceFilter(name);
}

namespace {

using GlobalFn = Result<Value> (*)(Interpreter& interp, const CallArgs& args);

class BuiltinFunction : public Function {
 public:
  BuiltinFunction(std::string_view name, GlobalFn fn) : name_(name), fn_(fn) {}
  std::string_view name() const override { return name_; }
  Result<Value> Call(Interpreter& interp, CallArgs args) const override {
    return fn_(interp, args);
  }

 private:
  std::string_view name_;
  GlobalFn fn_;
};

// Python range(); the sandbox caps it at 100000 items as jinja2's does.
constexpr int64_t kMaxRange = 100000;

Result<Value> Range(Interpreter&, const CallArgs& args) {
  if (!args.keywords.empty()) return Error("range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) {
    return Error("range expected at most 3 arguments, got " + std::to_string(p.size()));
  }
  for (const Value& v : p) {
    if (!v.is_integral()) {
      return Error("'" + TypeName(v) + "' object cannot be interpreted as an integer");
    }
  }
  int64_t start = 0, stop = 0, step = 1;
  if (p.size() == 1) {
    stop = p[0].int_value();
  } else {
    start = p[0].int_value();
    stop = p[1].int_value();
    if (p.size() == 3) step = p[2].int_value();
  }
  if (step == 0) return Error("range() arg 3 must not be zero");
  int64_t count = 0;
  if (step > 0 && stop > start) count = (stop - start + step - 1) / step;
  if (step < 0 && stop < start) count = (start - stop - step - 1) / -step;
  if (count > kMaxRange) {
    return Error("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  List items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) items.emplace_back(start + i * step);
  return Value::FromList(std::move(items));
}

// dict(mapping or pairs, **kwargs), shared by dict() and namespace().
Result<Dict> BuildDict(const CallArgs& args, std::string_view function) {
  Dict dict;
  if (args.positional.size() > 1) {
    return Error(std::string(function) + " expected at most 1 argument, got " +
                 std::to_string(args.positional.size()));
  }
  if (args.positional.size() == 1) {
    const Value& src = args.positional[0];
    if (src.is_dict() || src.is_namespace()) {
      const Dict& d = src.is_dict() ? src.dict() : src.namespace_dict();
      for (const auto& [key, value] : d.entries()) dict.Set(key, value);
    } else {
      List pairs;
      SHIMMY_JINJA_ASSIGN(pairs, Iterate(src));
      for (const Value& pair : pairs) {
        List kv;
        SHIMMY_JINJA_ASSIGN(kv, Iterate(pair));
        if (kv.size() != 2) {
          return Error("dictionary update sequence element has length " +
                       std::to_string(kv.size()) + "; 2 is required");
        }
        dict.Set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [name, value] : args.keywords) dict.Set(Value(name), value);
  return dict;
}

Result<Value> MakeDict(Interpreter&, const CallArgs& args) {
  Dict dict;
  SHIMMY_JINJA_ASSIGN(dict, BuildDict(args, "dict"));
  return Value::FromDict(std::move(dict));
}

Result<Value> MakeNamespace(Interpreter& interp, const CallArgs& args) {
  Dict dict;
  SHIMMY_JINJA_ASSIGN(dict, BuildDict(args, "namespace"));
  Value ns = Value::NewNamespace(std::move(dict));
  interp.TrackNamespace(ns);
  return ns;
}

Result<Value> RaiseException(Interpreter&, const CallArgs& args) {
  if (args.positional.empty()) return Error("raise_exception() called without a message");
  return Error(ToStr(args.positional[0]));
}

Result<Value> StrftimeNow(Interpreter& interp, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("strftime_now", args, {"format"}));
  if (!a.has(0) || !a[0]->is_string()) return Error("strftime_now() expects a format string");
  std::tm tm = interp.Now();
  std::tm normal = tm;
  timegm(&normal);  // fills in the weekday and day of the year
  tm.tm_wday = normal.tm_wday;
  tm.tm_yday = normal.tm_yday;
  const std::string& format = a[0]->str();
  if (format.empty()) return Value(std::string());
  for (size_t size = 256; size <= (size_t{1} << 16); size *= 4) {
    std::string buffer(size, '\0');
    const size_t n = std::strftime(buffer.data(), buffer.size(), format.c_str(), &tm);
    if (n > 0) {
      buffer.resize(n);
      return Value(std::move(buffer));
    }
  }
  return Value(std::string());
}

class Joiner : public Function {
 public:
  explicit Joiner(std::string separator) : separator_(std::move(separator)) {}
  std::string_view name() const override { return "joiner"; }
  Result<Value> Call(Interpreter&, CallArgs) const override {
    if (!used_) {
      used_ = true;
      return Value(std::string());
    }
    return Value(separator_);
  }

 private:
  std::string separator_;
  mutable bool used_ = false;
};

Result<Value> MakeJoiner(Interpreter&, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("joiner", args, {"sep"}));
  return Value::FromFunction(std::make_shared<Joiner>(a.has(0) ? ToStr(*a[0]) : ", "));
}

}  // namespace

Value FindGlobal(std::string_view name) {
  static const std::array<Value, 6> kGlobals = {
      Value::FromFunction(std::make_shared<BuiltinFunction>("range", Range)),
      Value::FromFunction(std::make_shared<BuiltinFunction>("dict", MakeDict)),
      Value::FromFunction(std::make_shared<BuiltinFunction>("namespace", MakeNamespace)),
      Value::FromFunction(std::make_shared<BuiltinFunction>("joiner", MakeJoiner)),
      Value::FromFunction(std::make_shared<BuiltinFunction>("raise_exception", RaiseException)),
      Value::FromFunction(std::make_shared<BuiltinFunction>("strftime_now", StrftimeNow)),
  };
  for (const Value& g : kGlobals) {
    if (g.function().name() == name) return g;
  }
  return Value();
}

}  // namespace shimmy::jinja
