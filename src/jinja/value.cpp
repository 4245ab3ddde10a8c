#include "jinja/value.h"

#include <algorithm>
#include <cmath>

#include "jinja/py_text.h"

namespace shimmy::jinja {

struct Value::DictData {
  Dict dict;
  uint32_t depth = 1;
};

namespace {

const std::string& EmptyString() {
  static const std::string kEmpty;
  return kEmpty;
}

uint32_t MaxChildDepth(const List& items) {
  uint32_t depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.nesting());
  return depth;
}

}  // namespace

Value::Value(std::string s)
    : kind_(ValueKind::kString), data_(std::make_shared<const std::string>(std::move(s))) {}

Value Value::Markup(std::string s) {
  Value v(std::move(s));
  v.markup_ = true;
  return v;
}

Value Value::Undefined(std::string hint) {
  Value v;
  if (!hint.empty()) v.data_ = std::make_shared<const std::string>(std::move(hint));
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = ValueKind::kNone;
  return v;
}

Value Value::FromList(List items, SeqKind kind) {
  Value v;
  v.kind_ = ValueKind::kList;
  v.seq_ = kind;
  const uint32_t depth = MaxChildDepth(items) + 1;
  v.data_ = std::make_shared<const ListData>(ListData{std::move(items), depth});
  return v;
}

Value Value::FromDict(Dict dict) {
  Value v;
  v.kind_ = ValueKind::kDict;
  uint32_t depth = 0;
  for (const auto& [key, value] : dict.entries()) {
    depth = std::max({depth, key.nesting(), value.nesting()});
  }
  v.data_ = std::make_shared<DictData>(DictData{std::move(dict), depth + 1});
  return v;
}

Value Value::NewNamespace(Dict dict) {
  Value v = FromDict(std::move(dict));
  v.kind_ = ValueKind::kNamespace;
  return v;
}

Value Value::FromFunction(std::shared_ptr<const Function> fn) {
  Value v;
  v.kind_ = ValueKind::kFunction;
  v.data_ = std::move(fn);
  return v;
}

namespace {

// Writes the conversion of `json` to *out (an out-parameter keeps GCC's
// -Wmaybe-uninitialized quiet about variants inside Result<Value>).
Status FromJsonAt(const nlohmann::ordered_json& json, uint32_t depth, Value* out) {
  if (depth > kMaxNesting)
    return Error("JSON input nested deeper than " + std::to_string(kMaxNesting));
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      *out = Value::None();
      return {};
    case nlohmann::ordered_json::value_t::boolean:
      *out = Value(json.get<bool>());
      return {};
    case nlohmann::ordered_json::value_t::number_integer:
      *out = Value(json.get<int64_t>());
      return {};
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        *out = Value(static_cast<double>(u));
      } else {
        *out = Value(static_cast<int64_t>(u));
      }
      return {};
    }
    case nlohmann::ordered_json::value_t::number_float:
      *out = Value(json.get<double>());
      return {};
    case nlohmann::ordered_json::value_t::string:
      *out = Value(json.get_ref<const std::string&>());
      return {};
    case nlohmann::ordered_json::value_t::array: {
      List items(json.size());
      for (size_t i = 0; i < json.size(); ++i) {
        if (auto s = FromJsonAt(json[i], depth + 1, &items[i]); !s) return s;
      }
      *out = Value::FromList(std::move(items));
      return {};
    }
    case nlohmann::ordered_json::value_t::object: {
      Dict dict;
      for (const auto& [key, item] : json.items()) {
        Value v;
        if (auto s = FromJsonAt(item, depth + 1, &v); !s) return s;
        dict.Set(Value(key), std::move(v));
      }
      *out = Value::FromDict(std::move(dict));
      return {};
    }
    default:
      return Error("unsupported JSON value (binary or discarded)");
  }
}

}  // namespace

Result<Value> Value::FromJson(const nlohmann::ordered_json& json) {
  Value out;
  if (auto s = FromJsonAt(json, 0, &out); !s) return s.error();
  return out;
}

bool Value::has_length() const {
  switch (kind_) {
    case ValueKind::kString:
    case ValueKind::kDict:
      return true;
    case ValueKind::kList:
      return seq_ != SeqKind::kGenerator && seq_ != SeqKind::kIterator;
    default:
      return false;
  }
}

const std::string& Value::undefined_hint() const {
  if (const auto* p = std::get_if<StrPtr>(&data_)) return **p;
  return EmptyString();
}

const Dict& Value::dict() const { return std::get<DictPtr>(data_)->dict; }
Dict& Value::namespace_dict() const { return std::get<DictPtr>(data_)->dict; }

uint32_t Value::nesting() const {
  if (const auto* p = std::get_if<ListPtr>(&data_)) return (*p)->depth;
  if (kind_ == ValueKind::kDict) return std::get<DictPtr>(data_)->depth;
  if (kind_ == ValueKind::kNamespace) return 1;
  return 0;
}

const void* Value::identity() const {
  if (const auto* p = std::get_if<StrPtr>(&data_)) return p->get();
  if (const auto* p = std::get_if<ListPtr>(&data_)) return p->get();
  if (const auto* p = std::get_if<DictPtr>(&data_)) return p->get();
  if (const auto* p = std::get_if<FnPtr>(&data_)) return p->get();
  return nullptr;
}

const Value* Dict::Find(const Value& key) const {
  for (const auto& entry : entries_) {
    if (Equals(entry.first, key)) return &entry.second;
  }
  return nullptr;
}

const Value* Dict::Find(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.first.is_string() && entry.first.str() == key) return &entry.second;
  }
  return nullptr;
}

void Dict::Set(Value key, Value value) {
  for (auto& entry : entries_) {
    if (Equals(entry.first, key)) {
      entry.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::Keyword(std::string_view name) const {
  for (const auto& [key, value] : keywords) {
    if (key == name) return &value;
  }
  return nullptr;
}

// ---- Python semantics ------------------------------------------------------

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return "Undefined";
    case ValueKind::kNone:
      return "NoneType";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kString:
      return v.is_markup() ? "Markup" : "str";
    case ValueKind::kDict:
      return "dict";
    case ValueKind::kNamespace:
      return "Namespace";
    case ValueKind::kFunction:
      return "function";
    case ValueKind::kList:
      break;
  }
  switch (v.seq_kind()) {
    case SeqKind::kList:
      return "list";
    case SeqKind::kTuple:
      return "tuple";
    case SeqKind::kGenerator:
      return "generator";
    case SeqKind::kIterator:
      return "list_reverseiterator";
    case SeqKind::kDictKeys:
      return "dict_keys";
    case SeqKind::kDictValues:
      return "dict_values";
    case SeqKind::kDictItems:
      return "dict_items";
  }
  return "object";
}

namespace {

// Deeper than this, printing gives "..." (Python itself would raise
// RecursionError on such self-referencing data).
constexpr int kMaxPrintDepth = 2 * kMaxNesting;

void AppendRepr(std::string& out, const Value& v, int depth);

void AppendItems(std::string& out, const List& items, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    AppendRepr(out, items[i], depth + 1);
  }
}

void AppendDict(std::string& out, const Dict& dict, int depth) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : dict.entries()) {
    if (!first) out += ", ";
    first = false;
    AppendRepr(out, key, depth + 1);
    out += ": ";
    AppendRepr(out, value, depth + 1);
  }
  out += '}';
}

void AppendStr(std::string& out, const Value& v, int depth) {
  if (depth > kMaxPrintDepth) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return;
    case ValueKind::kNone:
      out += "None";
      return;
    case ValueKind::kBool:
      out += v.bool_value() ? "True" : "False";
      return;
    case ValueKind::kInt:
      out += std::to_string(v.int_value());
      return;
    case ValueKind::kFloat:
      out += py::FloatRepr(v.float_value());
      return;
    case ValueKind::kString:
      out += v.str();
      return;
    case ValueKind::kDict:
      AppendDict(out, v.dict(), depth);
      return;
    case ValueKind::kNamespace:
      out += "<Namespace ";
      AppendDict(out, v.namespace_dict(), depth);
      out += '>';
      return;
    case ValueKind::kFunction:
      out += v.function().Describe();
      return;
    case ValueKind::kList:
      break;
  }
  switch (v.seq_kind()) {
    case SeqKind::kList:
      out += '[';
      AppendItems(out, v.list(), depth);
      out += ']';
      return;
    case SeqKind::kTuple:
      out += '(';
      AppendItems(out, v.list(), depth);
      if (v.list().size() == 1) out += ',';
      out += ')';
      return;
    case SeqKind::kGenerator:
      out += "<generator object>";
      return;
    case SeqKind::kIterator:
      out += "<list_reverseiterator object>";
      return;
    case SeqKind::kDictKeys:
    case SeqKind::kDictValues:
    case SeqKind::kDictItems:
      out += TypeName(v);
      out += "([";
      AppendItems(out, v.list(), depth);
      out += "])";
      return;
  }
}

void AppendRepr(std::string& out, const Value& v, int depth) {
  if (v.is_markup()) {
    out += "Markup(" + py::StrRepr(v.str()) + ")";
  } else if (v.is_string()) {
    out += py::StrRepr(v.str());
  } else if (v.is_undefined()) {
    out += "Undefined";
  } else {
    AppendStr(out, v, depth);
  }
}

bool IsSameSeqClass(const Value& a, const Value& b) {
  const bool a_plain = a.seq_kind() == SeqKind::kList || a.seq_kind() == SeqKind::kTuple;
  return a_plain && a.seq_kind() == b.seq_kind();
}

int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_integral() && b.is_integral()) {
    const int64_t x = a.int_value();
    const int64_t y = b.int_value();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const double x = a.AsDouble();
  const double y = b.AsDouble();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool EqualsAt(const Value& a, const Value& b, int depth) {
  if (depth > kMaxPrintDepth) return false;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    return a.int_value() == b.int_value();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return true;
    case ValueKind::kString:
      return a.str() == b.str();
    case ValueKind::kList: {
      if (!IsSameSeqClass(a, b)) return a.identity() == b.identity();
      const List& x = a.list();
      const List& y = b.list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!EqualsAt(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case ValueKind::kDict: {
      const Dict& x = a.dict();
      const Dict& y = b.dict();
      if (x.size() != y.size()) return false;
      for (const auto& [key, value] : x.entries()) {
        const Value* other = y.Find(key);
        if (other == nullptr || !EqualsAt(value, *other, depth + 1)) return false;
      }
      return true;
    }
    default:
      return a.identity() == b.identity();
  }
}

}  // namespace

std::string ToStr(const Value& v) {
  if (v.is_string()) return v.str();
  std::string out;
  AppendStr(out, v, 0);
  return out;
}

std::string Repr(const Value& v) {
  std::string out;
  AppendRepr(out, v, 0);
  return out;
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return false;
    case ValueKind::kBool:
      return v.bool_value();
    case ValueKind::kInt:
      return v.int_value() != 0;
    case ValueKind::kFloat:
      return v.float_value() != 0.0;
    case ValueKind::kString:
      return !v.str().empty();
    case ValueKind::kList:
      return !v.has_length() || !v.list().empty();
    case ValueKind::kDict:
      return !v.dict().empty();
    default:
      return true;
  }
}

bool Equals(const Value& a, const Value& b) { return EqualsAt(a, b, 0); }

bool IsHashable(const Value& v) {
  if (v.is_dict()) return false;
  if (!v.is_list()) return true;
  if (v.seq_kind() == SeqKind::kTuple) {
    return std::all_of(v.list().begin(), v.list().end(),
                       [](const Value& x) { return IsHashable(x); });
  }
  return v.seq_kind() == SeqKind::kGenerator || v.seq_kind() == SeqKind::kIterator;
}

Status RequireHashable(const Value& v) {
  if (IsHashable(v)) return {};
  return Error("unhashable type: '" + TypeName(v) + "'");
}

Result<int> Compare(const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    return Error(u.undefined_hint().empty() ? "comparison with an undefined value"
                                            : u.undefined_hint());
  }
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b);
  if (a.is_string() && b.is_string()) {
    const int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && IsSameSeqClass(a, b)) {
    const List& x = a.list();
    const List& y = b.list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equals(x[i], y[i])) continue;
      return Compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return Error("'<' not supported between instances of '" + TypeName(a) + "' and '" + TypeName(b) +
               "'");
}

}  // namespace shimmy::jinja
