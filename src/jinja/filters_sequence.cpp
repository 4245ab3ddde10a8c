// jinja2's filters over sequences and mappings.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/operators.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

// jinja2's make_attrgetter: "a.b.0" looks up item a, then b, then 0.
class AttrGetter {
 public:
  AttrGetter(Interpreter& interp, const Value* attribute, bool lower_case, const Value* fallback)
      : interp_(interp), lower_case_(lower_case), fallback_(fallback) {
    if (attribute == nullptr || attribute->is_none()) return;
    if (!attribute->is_string()) {
      parts_.push_back(*attribute);
      return;
    }
    const std::string& path = attribute->str();
    size_t start = 0;
    while (true) {
      const size_t dot = path.find('.', start);
      std::string part =
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      const bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
      parts_.push_back(digits ? Value(std::strtoll(part.c_str(), nullptr, 10)) : Value(part));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }

  Result<Value> operator()(const Value& item) const {
    Value v = item;
    for (const Value& part : parts_) {
      SHIMMY_JINJA_ASSIGN(v, interp_.GetItem(v, part));
    }
    if (fallback_ != nullptr && v.is_undefined()) v = *fallback_;
    if (lower_case_ && v.is_string()) v = Value(py::Lower(v.str()));
    return v;
  }

 private:
  Interpreter& interp_;
  std::vector<Value> parts_;
  bool lower_case_;
  const Value* fallback_;
};

Value Generator(List items) { return Value::FromList(std::move(items), SeqKind::kGenerator); }

Result<Value> Length(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("length", args, {}));
  if (v.is_undefined()) return Value(0);
  if (v.is_string()) return Value(py::CodePointCount(v.str()));
  if (v.is_dict()) return Value(v.dict().size());
  if (v.is_list() && v.has_length()) return Value(v.list().size());
  return Error("object of type '" + TypeName(v) + "' has no len()");
}

Result<Value> First(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("first", args, {}));
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> Last(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("last", args, {}));
  if (v.is_list() && !v.has_length())
    return Error("'" + TypeName(v) + "' object is not reversible");
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> Join(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("join", args, {"d", "attribute"}));
  const std::string separator = a.has(0) ? ToStr(*a[0]) : "";
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  AttrGetter getter(interp, a[1], false, nullptr);
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item;
    SHIMMY_JINJA_ASSIGN(item, getter(items[i]));
    if (i > 0) out += separator;
    out += ToStr(item);
    SHIMMY_JINJA_CHECK(interp.CheckSize(out.size()));
  }
  return Value(std::move(out));
}

Result<Value> ToList(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("list", args, {}));
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  return Value::FromList(std::move(items));
}

// map(filter_name, *args, **kwargs) or map(attribute=..., default=...).
Result<Value> Map(Interpreter& interp, const Value& v, const CallArgs& args) {
  if (!Truthy(v)) return Generator({});  // jinja2 maps nothing over a falsy value
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  List out;
  if (args.positional.empty()) {
    const Value* attribute = args.Keyword("attribute");
    if (attribute == nullptr) return Error("map() requires a filter name or attribute=");
    AttrGetter getter(interp, attribute, false, args.Keyword("default"));
    for (const Value& item : items) {
      Value mapped;
      SHIMMY_JINJA_ASSIGN(mapped, getter(item));
      out.push_back(std::move(mapped));
    }
    return Generator(std::move(out));
  }
  if (!args.positional[0].is_string()) return Error("map() filter name must be a string");
  const std::string name = args.positional[0].str();
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keywords = args.keywords;
  for (const Value& item : items) {
    Value mapped;
    SHIMMY_JINJA_ASSIGN(mapped, interp.CallFilter(name, item, rest));
    out.push_back(std::move(mapped));
  }
  return Generator(std::move(out));
}

// select / reject / selectattr / rejectattr.
Result<Value> SelectOrReject(Interpreter& interp, const Value& v, const CallArgs& args,
                             bool by_attribute, bool keep_matching) {
  if (!Truthy(v)) return Generator({});  // jinja2 selects nothing from a falsy value
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  size_t next = 0;
  const Value* attribute = nullptr;
  if (by_attribute) {
    if (args.positional.empty()) return Error("selectattr() requires an attribute name");
    attribute = &args.positional[next++];
  }
  std::string test;
  if (next < args.positional.size()) {
    if (!args.positional[next].is_string()) return Error("test name must be a string");
    test = args.positional[next++].str();
  }
  CallArgs test_args;
  test_args.positional.assign(args.positional.begin() + static_cast<ptrdiff_t>(next),
                              args.positional.end());
  test_args.keywords = args.keywords;
  AttrGetter getter(interp, attribute, false, nullptr);
  List out;
  for (const Value& item : items) {
    Value subject;
    SHIMMY_JINJA_ASSIGN(subject, getter(item));
    bool match = false;
    if (test.empty()) {
      match = Truthy(subject);
    } else {
      SHIMMY_JINJA_ASSIGN(match, interp.CallTest(test, subject, test_args));
    }
    if (match == keep_matching) out.push_back(item);
  }
  return Generator(std::move(out));
}

Result<Value> Select(Interpreter& i, const Value& v, const CallArgs& a) {
  return SelectOrReject(i, v, a, false, true);
}
Result<Value> Reject(Interpreter& i, const Value& v, const CallArgs& a) {
  return SelectOrReject(i, v, a, false, false);
}
Result<Value> SelectAttr(Interpreter& i, const Value& v, const CallArgs& a) {
  return SelectOrReject(i, v, a, true, true);
}
Result<Value> RejectAttr(Interpreter& i, const Value& v, const CallArgs& a) {
  return SelectOrReject(i, v, a, true, false);
}

Result<Value> Items(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("items", args, {}));
  if (v.is_undefined()) return Generator({});
  if (!v.is_dict()) return Error("Can only get item pairs from a mapping.");
  List out;
  for (const auto& [key, value] : v.dict().entries()) {
    out.push_back(Value::FromList({key, value}, SeqKind::kTuple));
  }
  return Generator(std::move(out));
}

// Stable sort by precomputed keys with Python's `<`; fails on unorderable keys.
Status SortByKeys(List& items, const List& keys, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Status failure;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (!failure) return false;
    auto c = reverse ? Compare(keys[y], keys[x]) : Compare(keys[x], keys[y]);
    if (!c) {
      failure = c.error();
      return false;
    }
    return *c < 0;
  });
  SHIMMY_JINJA_CHECK(failure);
  List sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(std::move(items[i]));
  items = std::move(sorted);
  return {};
}

Result<Value> Sort(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("sort", args, {"reverse", "case_sensitive", "attribute"}));
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  const bool case_sensitive = a.has(1) && Truthy(*a[1]);
  AttrGetter getter(interp, a[2], !case_sensitive, nullptr);
  List keys;
  for (const Value& item : items) {
    Value key;
    SHIMMY_JINJA_ASSIGN(key, getter(item));
    keys.push_back(std::move(key));
  }
  SHIMMY_JINJA_CHECK(SortByKeys(items, keys, a.has(0) && Truthy(*a[0])));
  return Value::FromList(std::move(items));
}

Result<Value> DictSort(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("dictsort", args, {"case_sensitive", "by", "reverse"}));
  if (!v.is_dict()) return Error("dictsort() expects a mapping, not " + TypeName(v));
  const bool case_sensitive = a.has(0) && Truthy(*a[0]);
  const std::string by = a.has(1) ? ToStr(*a[1]) : "key";
  if (by != "key" && by != "value")
    return Error("You can only sort by either \"key\" or \"value\"");
  List items, keys;
  for (const auto& [key, value] : v.dict().entries()) {
    items.push_back(Value::FromList({key, value}, SeqKind::kTuple));
    Value k = by == "key" ? key : value;
    if (!case_sensitive && k.is_string()) k = Value(py::Lower(k.str()));
    keys.push_back(std::move(k));
  }
  SHIMMY_JINJA_CHECK(SortByKeys(items, keys, a.has(2) && Truthy(*a[2])));
  return Value::FromList(std::move(items));
}

Result<Value> Unique(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("unique", args, {"case_sensitive", "attribute"}));
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  AttrGetter getter(interp, a[1], !(a.has(0) && Truthy(*a[0])), nullptr);
  List seen, out;
  for (const Value& item : items) {
    Value key;
    SHIMMY_JINJA_ASSIGN(key, getter(item));
    SHIMMY_JINJA_CHECK(RequireHashable(key));
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return Equals(s, key); }))
      continue;
    seen.push_back(std::move(key));
    out.push_back(item);
  }
  return Generator(std::move(out));
}

Result<Value> MinMax(Interpreter& interp, const Value& v, const CallArgs& args, bool want_max) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs(want_max ? "max" : "min", args, {"case_sensitive", "attribute"}));
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  AttrGetter getter(interp, a[1], !(a.has(0) && Truthy(*a[0])), nullptr);
  size_t best = 0;
  Value best_key;
  SHIMMY_JINJA_ASSIGN(best_key, getter(items[0]));
  for (size_t i = 1; i < items.size(); ++i) {
    Value key;
    SHIMMY_JINJA_ASSIGN(key, getter(items[i]));
    int c = 0;
    SHIMMY_JINJA_ASSIGN(c, Compare(key, best_key));
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}

Result<Value> Min(Interpreter& i, const Value& v, const CallArgs& a) {
  return MinMax(i, v, a, false);
}
Result<Value> Max(Interpreter& i, const Value& v, const CallArgs& a) {
  return MinMax(i, v, a, true);
}

Result<Value> Sum(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("sum", args, {"attribute", "start"}));
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  AttrGetter getter(interp, a[0], false, nullptr);
  Value total = a.Or(1, Value(0));
  for (const Value& item : items) {
    Value x;
    SHIMMY_JINJA_ASSIGN(x, getter(item));
    SHIMMY_JINJA_ASSIGN(total, Arithmetic(BinaryOp::kAdd, total, x, SIZE_MAX));
  }
  return total;
}

Result<Value> Reverse(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("reverse", args, {}));
  if (v.is_string()) {
    std::u32string cps = py::Decode(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value(py::Encode(cps));
  }
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  std::reverse(items.begin(), items.end());
  const bool reversible = v.is_dict() || (v.is_list() && v.has_length());
  return Value::FromList(std::move(items), reversible ? SeqKind::kIterator : SeqKind::kList);
}

Result<Value> Batch(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("batch", args, {"linecount", "fill_with"}));
  if (!a.has(0) || !a[0]->is_integral() || a[0]->int_value() <= 0) {
    return Error("batch() needs a positive line count");
  }
  const auto n = static_cast<size_t>(a[0]->int_value());
  List items;
  SHIMMY_JINJA_ASSIGN(items, Iterate(v));
  List out, row;
  for (Value& item : items) {
    row.push_back(std::move(item));
    if (row.size() == n) {
      out.push_back(Value::FromList(std::move(row)));
      row.clear();
    }
  }
  if (!row.empty()) {
    if (a.has(1) && !a[1]->is_none()) {
      while (row.size() < n) row.push_back(*a[1]);
    }
    out.push_back(Value::FromList(std::move(row)));
  }
  return Generator(std::move(out));
}

}  // namespace

FilterFn FindSequenceFilter(std::string_view name) {
  static constexpr std::pair<std::string_view, FilterFn> kFilters[] = {
      {"length", Length},
      {"count", Length},
      {"first", First},
      {"last", Last},
      {"join", Join},
      {"list", ToList},
      {"map", Map},
      {"select", Select},
      {"reject", Reject},
      {"selectattr", SelectAttr},
      {"rejectattr", RejectAttr},
      {"items", Items},
      {"sort", Sort},
      {"dictsort", DictSort},
      {"unique", Unique},
      {"min", Min},
      {"max", Max},
      {"sum", Sum},
      {"reverse", Reverse},
      {"batch", Batch},
  };
  for (const auto& [filter_name, fn] : kFilters) {
    if (filter_name == name) return fn;
  }
  return nullptr;
}

}  // namespace shimmy::jinja