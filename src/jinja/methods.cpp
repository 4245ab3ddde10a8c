// Which methods of str, dict and list jinja2's ImmutableSandboxedEnvironment
// lets templates call, and the dict and list ones. Mutating methods
// (list.append, dict.update, ...) are reported as unsafe; using them fails
// as it does in the sandbox. String methods live in methods_str.cpp.
#include <algorithm>
#include <array>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

constexpr std::string_view kStrMethods[] = {
    "startswith", "endswith",  "split",      "rsplit",     "strip",        "lstrip",
    "rstrip",     "upper",     "lower",      "replace",    "format",       "title",
    "find",       "rfind",     "index",      "rindex",     "count",        "join",
    "capitalize", "isdigit",   "isalpha",    "isalnum",    "isspace",      "islower",
    "isupper",    "isnumeric", "isdecimal",  "splitlines", "center",       "ljust",
    "rjust",      "zfill",     "partition",  "rpartition", "removeprefix", "removesuffix",
    "swapcase",   "casefold",  "format_map",
};
constexpr std::string_view kDictMethods[] = {"items", "keys", "values", "get", "copy"};
constexpr std::string_view kDictUnsafe[] = {"pop", "popitem", "setdefault", "update", "clear"};
constexpr std::string_view kListMethods[] = {"index", "count", "copy"};
constexpr std::string_view kListUnsafe[] = {"append", "extend",  "insert", "pop",
                                            "remove", "reverse", "sort",   "clear"};

template <size_t N>
bool In(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

Result<Value> DictMethod(const Dict& d, std::string_view m, const CallArgs& args) {
  BoundArgs a;
  if (m == "get") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"key", "default"}));
    if (!a.has(0)) return Error("get expected at least 1 argument, got 0");
    if (const Value* v = d.Find(*a[0])) return *v;
    return a.Or(1, Value::None());
  }
  SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {}));
  if (m == "copy") {
    Dict copy = d;
    return Value::FromDict(std::move(copy));
  }
  List out;
  out.reserve(d.size());
  for (const auto& [key, value] : d.entries()) {
    if (m == "keys") {
      out.push_back(key);
    } else if (m == "values") {
      out.push_back(value);
    } else {
      out.push_back(Value::FromList({key, value}, SeqKind::kTuple));
    }
  }
  const SeqKind kind = m == "keys"     ? SeqKind::kDictKeys
                       : m == "values" ? SeqKind::kDictValues
                                       : SeqKind::kDictItems;
  return Value::FromList(std::move(out), kind);
}

Result<Value> ListMethod(const Value& list, std::string_view m, const CallArgs& args) {
  BoundArgs a;
  if (m == "copy") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {}));
    return Value::FromList(list.list(), list.seq_kind());
  }
  SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"value", "start", "stop"}));
  if (!a.has(0)) return Error(std::string(m) + "() takes at least 1 argument");
  const List& items = list.list();
  if (m == "count") {
    return Value(std::count_if(items.begin(), items.end(),
                               [&](const Value& v) { return Equals(v, *a[0]); }));
  }
  const auto [b, e] = IndexRange(a, 1, items.size());
  for (size_t i = b; i < e; ++i) {
    if (Equals(items[i], *a[0])) return Value(i);
  }
  return Error(Repr(*a[0]) + " is not in list");
}

}  // namespace

bool HasMethod(const Value& obj, std::string_view name, bool* unsafe) {
  *unsafe = false;
  if (obj.is_string()) return In(kStrMethods, name);
  if (obj.is_dict()) {
    *unsafe = In(kDictUnsafe, name);
    return In(kDictMethods, name);
  }
  if (obj.is_sequence()) {
    *unsafe = obj.seq_kind() == SeqKind::kList && In(kListUnsafe, name);
    return In(kListMethods, name) && (name != "copy" || obj.seq_kind() == SeqKind::kList);
  }
  return false;
}

Result<Value> CallMethod(Interpreter& interp, const Value& obj, std::string_view name,
                         const CallArgs& args) {
  if (obj.is_string() && !obj.is_markup()) return CallStringMethod(interp, obj.str(), name, args);
  if (obj.is_string()) {
    // Markup's methods escape what they insert and return Markup.
    CallArgs escaped = args;
    if (name == "replace" && escaped.positional.size() >= 2) {
      escaped.positional[1] = Value(MarkupText(escaped.positional[1]));
    }
    auto r = CallStringMethod(interp, obj.str(), name, escaped);
    if (r && r->is_string()) return Value::Markup(r->str());
    if (r && r->is_sequence()) {  // split() and partition() give Markup pieces
      List pieces = r->list();
      for (Value& piece : pieces) {
        if (piece.is_string()) piece = Value::Markup(piece.str());
      }
      return Value::FromList(std::move(pieces), r->seq_kind());
    }
    return r;
  }
  if (obj.is_dict()) return DictMethod(obj.dict(), name, args);
  if (obj.is_sequence()) return ListMethod(obj, name, args);
  return Error("'" + TypeName(obj) + "' object has no attribute '" + std::string(name) + "'");
}

}  // namespace shimmy::jinja