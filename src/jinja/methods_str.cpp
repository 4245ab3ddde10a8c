// Python str methods for templates (split, strip, startswith, format, ...),
// on code points as Python does.
#include <algorithm>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

Error NeedsString(std::string_view method, size_t index, const Value& v) {
  return Error(std::string(method) + "() argument " + std::to_string(index + 1) +
               " must be str, not " + TypeName(v));
}

// Optional str argument: null/None gives nullptr.
Result<const std::string*> OptionalString(std::string_view method, const BoundArgs& a, size_t i) {
  if (!a.has(i) || a[i]->is_none()) return static_cast<const std::string*>(nullptr);
  if (!a[i]->is_string()) return NeedsString(method, i, *a[i]);
  return &a[i]->str();
}

// Python's str.split / str.rsplit.
Result<Value> Split(const std::string& s, const BoundArgs& a, bool from_right) {
  const std::string* sep = nullptr;
  SHIMMY_JINJA_ASSIGN(sep, OptionalString(from_right ? "rsplit" : "split", a, 0));
  int64_t maxsplit = -1;
  if (a.has(1)) {
    if (!a[1]->is_integral())
      return Error("'" + TypeName(*a[1]) + "' object cannot be interpreted as an integer");
    maxsplit = a[1]->int_value();
  }
  std::vector<std::string> parts;
  if (sep == nullptr) {
    const std::u32string cps = py::Decode(s);
    std::vector<std::pair<size_t, size_t>> words;  // [begin, end) in code points
    size_t i = 0;
    while (i < cps.size()) {
      while (i < cps.size() && py::IsSpace(cps[i])) ++i;
      if (i == cps.size()) break;
      size_t j = i;
      while (j < cps.size() && !py::IsSpace(cps[j])) ++j;
      words.emplace_back(i, j);
      i = j;
    }
    auto piece = [&](size_t b, size_t e) {
      return py::Encode(std::u32string_view(cps).substr(b, e - b));
    };
    if (maxsplit >= 0 && words.size() > static_cast<size_t>(maxsplit)) {
      // After maxsplit splits the remainder is kept whole, including the
      // whitespace at its far end.
      const auto keep = static_cast<size_t>(maxsplit);
      if (!from_right) {
        for (size_t k = 0; k < keep; ++k) parts.push_back(piece(words[k].first, words[k].second));
        parts.push_back(piece(words[keep].first, cps.size()));
      } else {
        const size_t first_kept = words.size() - keep;
        parts.push_back(piece(0, words[first_kept - 1].second));
        for (size_t k = first_kept; k < words.size(); ++k)
          parts.push_back(piece(words[k].first, words[k].second));
      }
    } else {
      for (const auto& [b, e] : words) parts.push_back(piece(b, e));
    }
  } else {
    if (sep->empty()) return Error("empty separator");
    if (!from_right) {
      size_t start = 0;
      int64_t splits = 0;
      while (maxsplit < 0 || splits < maxsplit) {
        const size_t at = s.find(*sep, start);
        if (at == std::string::npos) break;
        parts.push_back(s.substr(start, at - start));
        start = at + sep->size();
        ++splits;
      }
      parts.push_back(s.substr(start));
    } else {
      size_t end = s.size();
      int64_t splits = 0;
      std::vector<std::string> reversed;
      while (maxsplit < 0 || splits < maxsplit) {
        if (end < sep->size()) break;
        const size_t at = s.rfind(*sep, end - sep->size());
        if (at == std::string::npos) break;
        reversed.push_back(s.substr(at + sep->size(), end - at - sep->size()));
        end = at;
        ++splits;
      }
      reversed.push_back(s.substr(0, end));
      parts.assign(reversed.rbegin(), reversed.rend());
    }
  }
  List out;
  for (auto& p : parts) out.emplace_back(std::move(p));
  return Value::FromList(std::move(out));
}

Result<Value> Find(const std::string& s, const BoundArgs& a, std::string_view method) {
  if (!a.has(0) || !a[0]->is_string())
    return Error(std::string(method) + "() argument must be str");
  const std::u32string hay = py::Decode(s);
  const std::u32string needle = py::Decode(a[0]->str());
  const auto [b, e] = IndexRange(a, 1, hay.size());
  const bool reverse = method == "rfind" || method == "rindex";
  size_t found = std::u32string::npos;
  if (needle.size() <= e - b) {
    const std::u32string_view window = std::u32string_view(hay).substr(b, e - b);
    found = reverse ? window.rfind(needle) : window.find(needle);
  }
  if (found == std::u32string::npos) {
    if (method == "index" || method == "rindex") return Error("substring not found");
    return Value(-1);
  }
  return Value(b + found);
}

Result<Value> Count(const std::string& s, const BoundArgs& a) {
  if (!a.has(0) || !a[0]->is_string()) return Error("count() argument must be str");
  const std::u32string hay = py::Decode(s);
  const std::u32string needle = py::Decode(a[0]->str());
  const auto [b, e] = IndexRange(a, 1, hay.size());
  if (needle.empty()) return Value(e - b + 1);
  const std::u32string_view window = std::u32string_view(hay).substr(b, e - b);
  int64_t n = 0;
  for (size_t at = window.find(needle); at != std::u32string::npos;
       at = window.find(needle, at + needle.size())) {
    ++n;
  }
  return Value(n);
}

Result<Value> Replace(Interpreter& interp, const std::string& s, const BoundArgs& a) {
  if (!a.has(0) || !a.has(1) || !a[0]->is_string() || !a[1]->is_string()) {
    return Error("replace() arguments must be str");
  }
  const std::string& old_s = a[0]->str();
  const std::string& new_s = a[1]->str();
  int64_t limit = -1;
  if (a.has(2) && a[2]->is_integral()) limit = a[2]->int_value();
  if (old_s.empty()) {
    const std::u32string cps = py::Decode(s);
    SHIMMY_JINJA_CHECK(interp.CheckSize(s.size() + (cps.size() + 1) * new_s.size()));
    std::string out;
    int64_t done = 0;
    for (char32_t c : cps) {
      if (limit < 0 || done < limit) {
        out += new_s;
        ++done;
      }
      out += py::Encode(std::u32string(1, c));
    }
    if (limit < 0 || done < limit) out += new_s;
    return Value(std::move(out));
  }
  size_t occurrences = 0;
  for (size_t at = s.find(old_s); at != std::string::npos; at = s.find(old_s, at + old_s.size())) {
    ++occurrences;
  }
  if (new_s.size() > old_s.size()) {
    SHIMMY_JINJA_CHECK(interp.CheckSize(s.size() + occurrences * (new_s.size() - old_s.size())));
  }
  std::string out;
  size_t start = 0;
  int64_t done = 0;
  while (limit < 0 || done < limit) {
    const size_t at = s.find(old_s, start);
    if (at == std::string::npos) break;
    out.append(s, start, at - start);
    out += new_s;
    start = at + old_s.size();
    ++done;
  }
  out.append(s, start);
  return Value(std::move(out));
}

Result<Value> Pad(Interpreter& interp, const std::string& s, const BoundArgs& a,
                  std::string_view method) {
  if (!a.has(0) || !a[0]->is_integral())
    return Error(std::string(method) + "() needs an integer width");
  const int64_t width = a[0]->int_value();
  std::string fill = " ";
  if (a.has(1)) {
    if (!a[1]->is_string() || py::CodePointCount(a[1]->str()) != 1) {
      return Error("The fill character must be exactly one character long");
    }
    fill = a[1]->str();
  }
  const auto n = static_cast<int64_t>(py::CodePointCount(s));
  if (width <= n) return Value(s);
  SHIMMY_JINJA_CHECK(interp.CheckSize(static_cast<size_t>(width) * fill.size()));
  const int64_t margin = width - n;
  int64_t left = 0;
  if (method == "center") {
    left = margin / 2 + (margin & width & 1);
  } else if (method == "rjust") {
    left = margin;
  }
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < margin - left; ++i) out += fill;
  return Value(std::move(out));
}

template <class Pred>
Value AllChars(const std::string& s, Pred pred) {
  if (s.empty()) return Value(false);
  for (char32_t c : py::Decode(s)) {
    if (!pred(c)) return Value(false);
  }
  return Value(true);
}

Result<Value> StartsOrEndsWith(const std::string& s, const BoundArgs& a, bool ends) {
  if (!a.has(0)) return Error("startswith() takes at least 1 argument");
  List candidates;
  if (a[0]->is_string()) {
    candidates.push_back(*a[0]);
  } else if (a[0]->is_list() && a[0]->seq_kind() == SeqKind::kTuple) {
    candidates = a[0]->list();
  } else {
    return Error(std::string(ends ? "endswith" : "startswith") +
                 " first arg must be str or a tuple of str, not " + TypeName(*a[0]));
  }
  std::string window = s;
  if (a.has(1) || a.has(2)) {
    const std::u32string cps = py::Decode(s);
    const auto [b, e] = IndexRange(a, 1, cps.size());
    window = py::Encode(std::u32string_view(cps).substr(b, e - b));
  }
  for (const Value& c : candidates) {
    if (!c.is_string()) return Error("tuple for startswith must only contain str");
    const std::string& p = c.str();
    if (p.size() > window.size()) continue;
    if (ends ? window.compare(window.size() - p.size(), p.size(), p) == 0
             : window.compare(0, p.size(), p) == 0) {
      return Value(true);
    }
  }
  return Value(false);
}

Result<Value> Partition(const std::string& s, const BoundArgs& a, bool from_right) {
  if (!a.has(0) || !a[0]->is_string()) return Error("partition() argument must be str");
  const std::string& sep = a[0]->str();
  if (sep.empty()) return Error("empty separator");
  const size_t at = from_right ? s.rfind(sep) : s.find(sep);
  List parts;
  if (at == std::string::npos) {
    if (from_right) {
      parts = {Value(std::string()), Value(std::string()), Value(s)};
    } else {
      parts = {Value(s), Value(std::string()), Value(std::string())};
    }
  } else {
    parts = {Value(s.substr(0, at)), Value(sep), Value(s.substr(at + sep.size()))};
  }
  return Value::FromList(std::move(parts), SeqKind::kTuple);
}

}  // namespace

Result<Value> CallStringMethod(Interpreter& interp, const std::string& s, std::string_view m,
                               const CallArgs& args) {
  if (m == "format") {
    std::string out;
    SHIMMY_JINJA_ASSIGN(out, BraceFormat(s, args));
    return Value(std::move(out));
  }
  if (m == "format_map") {
    if (args.positional.size() != 1 || !args.positional[0].is_dict()) {
      return Error("format_map() takes exactly one mapping argument");
    }
    CallArgs kw;
    for (const auto& [key, value] : args.positional[0].dict().entries()) {
      kw.keywords.emplace_back(ToStr(key), value);
    }
    std::string out;
    SHIMMY_JINJA_ASSIGN(out, BraceFormat(s, kw));
    return Value(std::move(out));
  }
  BoundArgs a;
  if (m == "split" || m == "rsplit") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"sep", "maxsplit"}));
    return Split(s, a, m == "rsplit");
  }
  if (m == "strip" || m == "lstrip" || m == "rstrip") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"chars"}));
    const std::string* chars = nullptr;
    SHIMMY_JINJA_ASSIGN(chars, OptionalString(m, a, 0));
    return Value(py::Strip(s, chars, m != "rstrip", m != "lstrip"));
  }
  if (m == "startswith" || m == "endswith") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"prefix", "start", "end"}));
    return StartsOrEndsWith(s, a, m == "endswith");
  }
  if (m == "find" || m == "rfind" || m == "index" || m == "rindex") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"sub", "start", "end"}));
    return Find(s, a, m);
  }
  if (m == "count") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"sub", "start", "end"}));
    return Count(s, a);
  }
  if (m == "replace") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"old", "new", "count"}));
    return Replace(interp, s, a);
  }
  if (m == "center" || m == "ljust" || m == "rjust") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"width", "fillchar"}));
    return Pad(interp, s, a, m);
  }
  if (m == "partition" || m == "rpartition") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"sep"}));
    return Partition(s, a, m == "rpartition");
  }
  if (m == "removeprefix" || m == "removesuffix") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"affix"}));
    if (!a.has(0) || !a[0]->is_string()) return NeedsString(m, 0, a.Or(0, Value::None()));
    const std::string& affix = a[0]->str();
    if (m == "removeprefix" && s.compare(0, affix.size(), affix) == 0)
      return Value(s.substr(affix.size()));
    if (m == "removesuffix" && !affix.empty() && s.size() >= affix.size() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      return Value(s.substr(0, s.size() - affix.size()));
    }
    return Value(s);
  }
  if (m == "join") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"iterable"}));
    if (!a.has(0)) return Error("join() takes exactly one argument");
    List items;
    SHIMMY_JINJA_ASSIGN(items, Iterate(*a[0]));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return Error("sequence item " + std::to_string(i) + ": expected str instance, " +
                     TypeName(items[i]) + " found");
      }
      if (i > 0) out += s;
      out += items[i].str();
      SHIMMY_JINJA_CHECK(interp.CheckSize(out.size()));
    }
    return Value(std::move(out));
  }
  if (m == "splitlines") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"keepends"}));
    List out;
    for (auto& line : py::SplitLines(s, a.has(0) && Truthy(*a[0])))
      out.emplace_back(std::move(line));
    return Value::FromList(std::move(out));
  }
  if (m == "zfill") {
    SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {"width"}));
    if (!a.has(0) || !a[0]->is_integral()) return Error("zfill() needs an integer width");
    const auto n = static_cast<int64_t>(py::CodePointCount(s));
    const int64_t width = a[0]->int_value();
    if (width <= n) return Value(s);
    SHIMMY_JINJA_CHECK(interp.CheckSize(static_cast<size_t>(width)));
    const size_t sign = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    return Value(s.substr(0, sign) + std::string(static_cast<size_t>(width - n), '0') +
                 s.substr(sign));
  }
  SHIMMY_JINJA_ASSIGN(a, BindArgs(m, args, {}));
  if (m == "upper") return Value(py::Upper(s));
  if (m == "lower" || m == "casefold") return Value(py::Lower(s));
  if (m == "title") return Value(py::Title(s));
  if (m == "capitalize") return Value(py::Capitalize(s));
  if (m == "swapcase") {
    std::string out;
    for (char32_t c : py::Decode(s)) {
      const std::string one = py::Encode(std::u32string(1, c));
      out += py::IsUpper(c) ? py::Lower(one) : py::Upper(one);
    }
    return Value(std::move(out));
  }
  if (m == "isdigit" || m == "isnumeric" || m == "isdecimal") return AllChars(s, py::IsDigit);
  if (m == "isalpha") return AllChars(s, py::IsAlpha);
  if (m == "isalnum")
    return AllChars(s, [](char32_t c) { return py::IsAlpha(c) || py::IsDigit(c); });
  if (m == "isspace") return AllChars(s, py::IsSpace);
  if (m == "islower" || m == "isupper") {
    bool cased = false;
    for (char32_t c : py::Decode(s)) {
      if (py::IsUpper(c)) {
        if (m == "islower") return Value(false);
        cased = true;
      } else if (py::IsLower(c)) {
        if (m == "isupper") return Value(false);
        cased = true;
      }
    }
    return Value(cased);
  }
  return Error("str has no method '" + std::string(m) + "'");
}

std::pair<size_t, size_t> IndexRange(const BoundArgs& a, size_t first, size_t n) {
  auto resolve = [n](const Value* v, int64_t fallback) {
    if (v == nullptr || v->is_none() || !v->is_integral()) return fallback;
    int64_t i = v->int_value();
    if (i < 0) i += static_cast<int64_t>(n);
    return std::clamp<int64_t>(i, 0, static_cast<int64_t>(n));
  };
  const int64_t b = resolve(a[first], 0);
  const int64_t e = resolve(a[first + 1], static_cast<int64_t>(n));
  return {static_cast<size_t>(b), static_cast<size_t>(std::max(b, e))};
}

}  // namespace shimmy::jinja
