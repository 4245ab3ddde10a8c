// Registries of jinja2's built-in filters, tests, globals and the methods of
// str / dict / list that the sandbox allows, plus the helpers they share.
// Internal to src/jinja.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "jinja/value.h"

namespace shimmy::jinja {

class Interpreter;

using FilterFn = Result<Value> (*)(Interpreter& interp, const Value& input, const CallArgs& args);
using TestFn = Result<bool> (*)(Interpreter& interp, const Value& input, const CallArgs& args);

// nullptr when there is no such filter / test.
FilterFn FindFilter(std::string_view name);
TestFn FindTest(std::string_view name);
// Split registries, one per source file.
FilterFn FindStringFilter(std::string_view name);
FilterFn FindSequenceFilter(std::string_view name);
FilterFn FindValueFilter(std::string_view name);

// Globals: range, dict, namespace, joiner, raise_exception, strftime_now.
// Returns Undefined when `name` is not one.
Value FindGlobal(std::string_view name);

// Whether `obj.name` is a callable method (str/dict/list methods). Unsafe
// (mutating) methods are reported through `unsafe`.
bool HasMethod(const Value& obj, std::string_view name, bool* unsafe);
Result<Value> CallMethod(Interpreter& interp, const Value& obj, std::string_view name,
                         const CallArgs& args);
// The str methods, on a plain string.
Result<Value> CallStringMethod(Interpreter& interp, const std::string& s, std::string_view name,
                               const CallArgs& args);

// Python-style argument binding for built-ins: fills one slot per parameter
// name from positional then keyword arguments. Slots without an argument
// are null.
class BoundArgs {
 public:
  const Value* operator[](size_t i) const { return slots_[i]; }
  bool has(size_t i) const { return slots_[i] != nullptr; }
  // The argument, or `fallback` when it was not given.
  Value Or(size_t i, Value fallback) const { return has(i) ? *slots_[i] : std::move(fallback); }

 private:
  friend Result<BoundArgs> BindArgs(std::string_view, const CallArgs&,
                                    std::initializer_list<std::string_view>);
  std::vector<const Value*> slots_;
};

// Python's optional [start, end) index arguments (str.find/count, list.index)
// at a[first] and a[first + 1], resolved against a length n: negatives count
// from the end, values clamp to [0, n], end never precedes start.
std::pair<size_t, size_t> IndexRange(const BoundArgs& a, size_t first, size_t n);

Result<BoundArgs> BindArgs(std::string_view function, const CallArgs& args,
                           std::initializer_list<std::string_view> params);

// Items of an iterable value (list, tuple, dict keys, string characters);
// Undefined iterates as empty; None and numbers are a TypeError.
Result<List> Iterate(const Value& v);

// Python `str % args` formatting and `str.format(*args, **kwargs)`.
// With `escape_args` (a Markup format string) %s/%r arguments are
// HTML-escaped unless they are Markup.
Result<std::string> PercentFormat(std::string_view format, const Value& args,
                                  bool escape_args = false);
Result<std::string> BraceFormat(std::string_view format, const CallArgs& args);

// json.dumps(value, ensure_ascii, indent, separators, sort_keys) as HF's
// tojson filter calls it. `indent` is None, an int or a string.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  Value indent = Value::None();
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
Result<std::string> JsonDump(const Value& v, const JsonDumpOptions& options);

// markupsafe's escape(): & < > ' " as HTML entities.
std::string HtmlEscape(std::string_view s);
// The text of `v` for joining onto a Markup string: escaped unless it is
// Markup already.
std::string MarkupText(const Value& v);

// jinja2's messages for undefined lookups.
Value UndefinedAttribute(const Value& obj, std::string_view name);
Value UndefinedElement(const Value& obj, const Value& key);

}  // namespace shimmy::jinja
