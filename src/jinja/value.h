// The values a Jinja template computes with, modelled on the Python objects
// jinja2 sees under Hugging Face's chat-template conventions: None, bool,
// int, float, str, list/tuple (and the generators and dict views jinja2's
// filters return), insertion-ordered dict, jinja2's Namespace, callables and
// jinja2's default Undefined.
//
// A Value is a small handle: strings and containers are shared, immutable
// (the sandbox forbids mutating methods) and cheap to copy. The one mutable
// object is a Namespace, which `{% set ns.attr = ... %}` updates in place.
// Values are not thread-safe to share across concurrent renders.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"

namespace shimmy::jinja {

class Value;
class Dict;
class Function;
using List = std::vector<Value>;

enum class ValueKind : uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kDict,
  kNamespace,
  kFunction,
};

// The Python type a sequence stands for. All share list storage but print,
// compare, serialise and measure differently (a generator has no len()).
enum class SeqKind : uint8_t {
  kList,
  kTuple,
  kGenerator,
  kIterator,
  kDictKeys,
  kDictValues,
  kDictItems,
};

// Containers deeper than this are refused; it bounds recursion in printing,
// comparison and destruction.
inline constexpr uint32_t kMaxNesting = 256;

class Value {
 public:
  Value() = default;                                    // Undefined without a hint
  Value(bool b) : kind_(ValueKind::kBool), data_(b) {}  // NOLINT: implicit on purpose
  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) Value(T i)
      : kind_(ValueKind::kInt), data_(static_cast<int64_t>(i)) {}  // NOLINT
  Value(double d) : kind_(ValueKind::kFloat), data_(d) {}          // NOLINT
  Value(std::string s);                                            // NOLINT
  Value(std::string_view s) : Value(std::string(s)) {}             // NOLINT
  Value(const char* s) : Value(std::string(s)) {}                  // NOLINT

  // Undefined carries jinja2's hint ("'x' is undefined") for the error that
  // using it raises.
  // A markupsafe.Markup string (from |safe or |escape): concatenating a
  // plain string to it HTML-escapes the plain one.
  static Value Markup(std::string s);
  static Value Undefined(std::string hint);
  static Value None();
  static Value FromList(List items, SeqKind kind = SeqKind::kList);
  static Value FromDict(Dict dict);
  static Value NewNamespace(Dict dict);
  static Value FromFunction(std::shared_ptr<const Function> fn);
  // Objects become dicts (key order kept), arrays lists, numbers int or float.
  static Result<Value> FromJson(const nlohmann::ordered_json& json);

  ValueKind kind() const { return kind_; }
  SeqKind seq_kind() const { return seq_; }
  bool is_undefined() const { return kind_ == ValueKind::kUndefined; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }
  bool is_int() const { return kind_ == ValueKind::kInt; }
  bool is_float() const { return kind_ == ValueKind::kFloat; }
  bool is_string() const { return kind_ == ValueKind::kString; }
  bool is_markup() const { return markup_; }
  bool is_list() const { return kind_ == ValueKind::kList; }
  bool is_dict() const { return kind_ == ValueKind::kDict; }
  bool is_namespace() const { return kind_ == ValueKind::kNamespace; }
  bool is_function() const { return kind_ == ValueKind::kFunction; }
  // int or bool (Python's bool is an int).
  bool is_integral() const { return is_int() || is_bool(); }
  bool is_number() const { return is_int() || is_bool() || is_float(); }
  // A list or tuple proper (indexable, has len()).
  bool is_sequence() const {
    return is_list() && (seq_ == SeqKind::kList || seq_ == SeqKind::kTuple);
  }
  // Has a len(): str, list, tuple, dict views, dict, namespace-free mapping.
  bool has_length() const;

  bool bool_value() const { return std::get<bool>(data_); }
  int64_t int_value() const {
    return is_bool() ? static_cast<int64_t>(std::get<bool>(data_)) : std::get<int64_t>(data_);
  }
  double float_value() const { return std::get<double>(data_); }
  double AsDouble() const { return is_float() ? float_value() : static_cast<double>(int_value()); }
  const std::string& str() const { return *std::get<StrPtr>(data_); }
  const std::string& undefined_hint() const;
  const List& list() const { return std::get<ListPtr>(data_)->items; }
  const Dict& dict() const;
  // The mutable attribute table of a Namespace.
  Dict& namespace_dict() const;
  const Function& function() const { return *std::get<FnPtr>(data_); }
  // 0 for scalars, 1 + the deepest child for containers.
  uint32_t nesting() const;
  // Identity of shared storage, for `is sameas`.
  const void* identity() const;

 private:
  struct ListData {
    List items;
    uint32_t depth = 1;
  };
  struct DictData;
  using StrPtr = std::shared_ptr<const std::string>;
  using ListPtr = std::shared_ptr<const ListData>;
  using DictPtr = std::shared_ptr<DictData>;
  using FnPtr = std::shared_ptr<const Function>;

  ValueKind kind_ = ValueKind::kUndefined;
  SeqKind seq_ = SeqKind::kList;
  bool markup_ = false;
  std::variant<std::monostate, bool, int64_t, double, StrPtr, ListPtr, DictPtr, FnPtr> data_;
};

// An insertion-ordered mapping with Python dict semantics for keys
// (1 == 1.0 == True). Lookup is linear: template dicts are small.
class Dict {
 public:
  using Entry = std::pair<Value, Value>;

  const Value* Find(const Value& key) const;
  const Value* Find(std::string_view key) const;
  const Value* Find(const std::string& key) const { return Find(std::string_view(key)); }
  const Value* Find(const char* key) const { return Find(std::string_view(key)); }
  // Replaces the value of an existing key (keeping its position) or appends.
  void Set(Value key, Value value);
  // Appends without looking for an existing equal key: the caller knows the
  // key is new (building a dict of fixed, distinct keys).
  void AppendNew(Value key, Value value) {
    entries_.emplace_back(std::move(key), std::move(value));
  }
  void Reserve(size_t n) { entries_.reserve(n); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  void Clear() { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;

  const Value* Keyword(std::string_view name) const;
};

class Interpreter;

// Something a template can call: a macro, a global such as range(), a bound
// method. Implementations live in the interpreter.
class Function {
 public:
  virtual ~Function() = default;
  virtual std::string_view name() const = 0;
  // What printing it shows, like Python's repr of the object.
  virtual std::string Describe() const { return "<function " + std::string(name()) + ">"; }
  virtual Result<Value> Call(Interpreter& interp, CallArgs args) const = 0;
};

// ---- Python semantics ------------------------------------------------------

// Python type name: "str", "int", "NoneType", "list", "generator", ...
std::string TypeName(const Value& v);
// str(v): what `{{ v }}` prints. Undefined prints as "".
std::string ToStr(const Value& v);
// repr(v), used inside printed containers.
std::string Repr(const Value& v);
bool Truthy(const Value& v);
// Whether Python could hash it (be a dict key or set member): lists, dicts
// and the tuples holding them cannot.
bool IsHashable(const Value& v);
Status RequireHashable(const Value& v);
// Python ==.
bool Equals(const Value& a, const Value& b);
// Python ordering (<): -1, 0, 1, or a TypeError for unorderable operands.
Result<int> Compare(const Value& a, const Value& b);

}  // namespace shimmy::jinja
