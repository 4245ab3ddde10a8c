// jinja2's filters that work on the text of their input.
#include <utility>

#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&#34;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string MarkupText(const Value& v) { return v.is_markup() ? v.str() : HtmlEscape(ToStr(v)); }

namespace {

// A filter result that stays Markup when its input was.
Value SameKind(const Value& input, std::string text) {
  return input.is_markup() ? Value::Markup(std::move(text)) : Value(std::move(text));
}

Result<Value> Trim(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("trim", args, {"chars"}));
  const std::string* chars = nullptr;
  if (a.has(0) && !a[0]->is_none()) {
    if (!a[0]->is_string()) return Error("strip arg must be None or str");
    chars = &a[0]->str();
  }
  return SameKind(v, py::Strip(ToStr(v), chars, true, true));
}

Result<Value> Upper(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("upper", args, {}));
  return SameKind(v, py::Upper(ToStr(v)));
}

Result<Value> Lower(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("lower", args, {}));
  return SameKind(v, py::Lower(ToStr(v)));
}

Result<Value> Capitalize(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("capitalize", args, {}));
  return SameKind(v, py::Capitalize(ToStr(v)));
}

// jinja2's title: words start after runs of whitespace, '-', '(', '{', '['
// or '<'; each word is upper-cased at its first character and lower-cased
// after it.
Result<Value> Title(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("title", args, {}));
  const std::u32string cps = py::Decode(ToStr(v));
  std::string out;
  bool word_start = true;
  for (char32_t c : cps) {
    const bool delimiter =
        py::IsSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    const std::string one = py::Encode(std::u32string(1, c));
    if (delimiter) {
      out += one;
      word_start = true;
    } else {
      out += word_start ? py::Upper(one) : py::Lower(one);
      word_start = false;
    }
  }
  return Value(std::move(out));
}

Result<Value> Replace(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("replace", args, {"old", "new", "count"}));
  if (!a.has(0) || !a.has(1)) return Error("replace() missing required arguments 'old' and 'new'");
  CallArgs call;
  call.positional = {Value(ToStr(*a[0])), Value(ToStr(*a[1]))};
  if (a.has(2) && !a[2]->is_none()) call.positional.push_back(*a[2]);
  return CallMethod(interp, Value(ToStr(v)), "replace", call);
}

Result<Value> Indent(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("indent", args, {"width", "first", "blank"}));
  std::string indentation(4, ' ');
  if (a.has(0)) {
    if (a[0]->is_string()) {
      indentation = a[0]->str();
    } else if (a[0]->is_integral()) {
      indentation.assign(static_cast<size_t>(std::max<int64_t>(0, a[0]->int_value())), ' ');
    } else {
      return Error("indent width must be an int or a str");
    }
  }
  const bool first = a.has(1) && Truthy(*a[1]);
  const bool blank = a.has(2) && Truthy(*a[2]);
  // jinja2 does not convert the input: anything but a string fails.
  if (!v.is_string()) return Error("indent expects a string, not " + TypeName(v));
  // jinja2 appends a newline before splitting, so a trailing newline leaves
  // an empty last line that is not indented.
  const std::vector<std::string> lines = py::SplitLines(ToStr(v) + "\n", false);
  size_t total = 0;
  for (const auto& line : lines) total += line.size() + indentation.size() + 1;
  SHIMMY_JINJA_CHECK(interp.CheckSize(total));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += '\n';
      if (blank || !lines[i].empty()) out += indentation;
    }
    out += lines[i];
  }
  if (first) out = indentation + out;
  return Value(std::move(out));
}

Result<Value> Center(Interpreter& interp, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("center", args, {"width"}));
  CallArgs call;
  call.positional.push_back(a.Or(0, Value(80)));
  return CallMethod(interp, Value(ToStr(v)), "center", call);
}

Result<Value> Truncate(Interpreter&, const Value& v, const CallArgs& args) {
  BoundArgs a;
  SHIMMY_JINJA_ASSIGN(a, BindArgs("truncate", args, {"length", "killwords", "end", "leeway"}));
  const Value length_v = a.Or(0, Value(255));
  const Value leeway_v = a.Or(3, Value(5));
  if (!length_v.is_integral() || !leeway_v.is_integral()) return Error("truncate expects integers");
  const int64_t length = length_v.int_value();
  const int64_t leeway = leeway_v.int_value();
  const bool killwords = a.has(1) && Truthy(*a[1]);
  const std::u32string end = py::Decode(a.has(2) ? ToStr(*a[2]) : "...");
  if (length < static_cast<int64_t>(end.size())) return Error("expected length >= len(end)");
  if (leeway < 0) return Error("expected leeway >= 0");
  // jinja2 measures the input itself: a short list or dict comes back as is.
  if (v.is_undefined()) return v;
  if (!v.is_string()) {
    if (v.has_length()) {
      const size_t n = v.is_dict() ? v.dict().size() : v.list().size();
      if (static_cast<int64_t>(n) <= length + leeway) return v;
    }
    return Error("truncate expects a string, not " + TypeName(v));
  }
  const std::u32string s = py::Decode(v.str());
  if (static_cast<int64_t>(s.size()) <= length + leeway) return v;
  std::u32string head = s.substr(0, static_cast<size_t>(length) - end.size());
  if (!killwords) {
    const size_t space = head.rfind(U' ');
    if (space != std::u32string::npos) head.resize(space);
  }
  return Value(py::Encode(head + end));
}

Result<Value> WordCount(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("wordcount", args, {}));
  int64_t words = 0;
  bool in_word = false;
  for (char32_t c : py::Decode(ToStr(v))) {
    const bool word_char = py::IsAlpha(c) || py::IsDigit(c) || c == '_';
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value(words);
}

Result<Value> Escape(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("escape", args, {}));
  if (v.is_markup()) return v;
  return Value::Markup(HtmlEscape(ToStr(v)));
}

Result<Value> ForceEscape(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("forceescape", args, {}));
  return Value::Markup(HtmlEscape(ToStr(v)));
}

Result<Value> Safe(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("safe", args, {}));
  return Value::Markup(ToStr(v));
}

Result<Value> String(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("string", args, {}));
  return v.is_markup() ? v : Value(ToStr(v));
}

Result<Value> Format(Interpreter&, const Value& v, const CallArgs& args) {
  if (!args.positional.empty() && !args.keywords.empty()) {
    return Error("can't handle positional and keyword arguments at the same time");
  }
  Value operand;
  if (!args.keywords.empty()) {
    Dict kw;
    for (const auto& [name, value] : args.keywords) kw.Set(Value(name), value);
    operand = Value::FromDict(std::move(kw));
  } else {
    operand = Value::FromList(args.positional, SeqKind::kTuple);
  }
  std::string out;
  SHIMMY_JINJA_ASSIGN(out, PercentFormat(ToStr(v), operand));
  return Value(std::move(out));
}

Result<Value> StripTags(Interpreter&, const Value& v, const CallArgs& args) {
  SHIMMY_JINJA_CHECK(BindArgs("striptags", args, {}));
  const std::string s = ToStr(v);
  std::string text;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t end = s.find("-->", i + 4);
      if (end == std::string::npos) break;
      i = end + 2;
    } else if (s[i] == '<') {
      const size_t end = s.find('>', i + 1);
      if (end == std::string::npos) {
        text += s.substr(i);
        break;
      }
      i = end;
    } else {
      text += s[i];
    }
  }
  // Collapse whitespace like " ".join(text.split()).
  std::string out;
  for (char32_t c : py::Decode(text)) {
    if (py::IsSpace(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += py::Encode(std::u32string(1, c));
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Value(std::move(out));
}

}  // namespace

FilterFn FindStringFilter(std::string_view name) {
  static constexpr std::pair<std::string_view, FilterFn> kFilters[] = {
      {"trim", Trim},
      {"upper", Upper},
      {"lower", Lower},
      {"capitalize", Capitalize},
      {"title", Title},
      {"replace", Replace},
      {"indent", Indent},
      {"center", Center},
      {"truncate", Truncate},
      {"wordcount", WordCount},
      {"escape", Escape},
      {"e", Escape},
      {"forceescape", ForceEscape},
      {"safe", Safe},
      {"string", String},
      {"format", Format},
      {"striptags", StripTags},
  };
  for (const auto& [filter_name, fn] : kFilters) {
    if (filter_name == name) return fn;
  }
  return nullptr;
}

}  // namespace shimmy::jinja
