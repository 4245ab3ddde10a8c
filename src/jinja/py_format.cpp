// Python string formatting: `fmt % args` and `fmt.format(*args, **kwargs)`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "jinja/builtins.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

// A parsed format specification, shared by both styles.
struct Spec {
  std::string fill = " ";
  char align = 0;  // '<', '>', '^', '=' or 0 for the type's default
  char sign = '-';
  bool alternate = false;
  bool zero = false;
  int64_t width = -1;
  int64_t precision = -1;
  char grouping = 0;
  char type = 0;
};

std::string PadTo(std::string body, const Spec& spec, char default_align) {
  const auto n = static_cast<int64_t>(py::CodePointCount(body));
  if (spec.width <= n) return body;
  const int64_t margin = spec.width - n;
  const char align = spec.align != 0 ? spec.align : default_align;
  std::string fill;
  auto repeat = [&](int64_t k) {
    std::string r;
    for (int64_t i = 0; i < k; ++i) r += spec.fill;
    return r;
  };
  if (align == '<') return body + repeat(margin);
  if (align == '^') return repeat(margin / 2) + body + repeat(margin - margin / 2);
  if (align == '=') {
    const size_t sign =
        !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ') ? 1 : 0;
    return body.substr(0, sign) + repeat(margin) + body.substr(sign);
  }
  return repeat(margin) + body;
}

std::string Group(const std::string& digits, char separator) {
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += separator;
    out += digits[i];
  }
  return out;
}

Result<std::string> FormatInt(int64_t v, const Spec& spec) {
  const bool negative = v < 0;
  const uint64_t mag = negative ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits;
  char buf[80];
  switch (spec.type) {
    case 0:
    case 'd':
    case 'i':
    case 'u':
    case 'n':
      std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(mag));
      digits = buf;
      if (spec.grouping != 0) digits = Group(digits, spec.grouping);
      break;
    case 'x':
    case 'X':
      std::snprintf(buf, sizeof(buf), spec.type == 'x' ? "%llx" : "%llX",
                    static_cast<unsigned long long>(mag));
      digits = std::string(spec.alternate ? (spec.type == 'x' ? "0x" : "0X") : "") + buf;
      break;
    case 'o':
      std::snprintf(buf, sizeof(buf), "%llo", static_cast<unsigned long long>(mag));
      digits = std::string(spec.alternate ? "0o" : "") + buf;
      break;
    case 'b': {
      std::string bits;
      for (uint64_t m = mag; m > 0; m >>= 1)
        bits.insert(bits.begin(), static_cast<char>('0' + (m & 1)));
      digits = std::string(spec.alternate ? "0b" : "") + (bits.empty() ? "0" : bits);
      break;
    }
    case 'c': {
      std::string ch;
      ch = py::Encode(std::u32string(1, static_cast<char32_t>(v)));
      return PadTo(ch, spec, '<');
    }
    default:
      return Error(std::string("Unknown format code '") + spec.type + "' for object of type 'int'");
  }
  std::string sign = negative ? "-" : (spec.sign == '+' ? "+" : (spec.sign == ' ' ? " " : ""));
  if (spec.zero && spec.align == 0) {
    Spec zero = spec;
    zero.fill = "0";
    zero.align = '=';
    return PadTo(sign + digits, zero, '>');
  }
  return PadTo(sign + digits, spec, '>');
}

Result<std::string> FormatFloat(double v, const Spec& spec) {
  char type = spec.type;
  std::string body;
  if (type == 0 && spec.precision < 0) {
    body = py::FloatRepr(std::fabs(v));
  } else {
    if (type == 0) type = 'g';
    if (type == 'n') type = 'g';
    const int precision = spec.precision < 0 ? 6 : static_cast<int>(spec.precision);
    double x = std::fabs(v);
    std::string suffix;
    if (type == '%') {
      x *= 100;
      type = 'f';
      suffix = "%";
    }
    if (std::string_view("eEfFgG").find(type) == std::string_view::npos) {
      return Error(std::string("Unknown format code '") + type + "' for object of type 'float'");
    }
    char fmt[16];
    std::snprintf(fmt, sizeof(fmt), "%%%s.%d%c", spec.alternate ? "#" : "", precision, type);
    char buf[512];
    std::snprintf(buf, sizeof(buf), fmt, x);
    body = std::string(buf) + suffix;
  }
  if (spec.grouping != 0) {
    const size_t int_end = body.find_first_not_of("0123456789");
    body = Group(body.substr(0, int_end), spec.grouping) +
           (int_end == std::string::npos ? "" : body.substr(int_end));
  }
  const bool negative = std::signbit(v) && !std::isnan(v);
  std::string sign = negative ? "-" : (spec.sign == '+' ? "+" : (spec.sign == ' ' ? " " : ""));
  if (spec.zero && spec.align == 0) {
    Spec zero = spec;
    zero.fill = "0";
    zero.align = '=';
    return PadTo(sign + body, zero, '>');
  }
  return PadTo(sign + body, spec, '>');
}

std::string Truncated(const std::string& s, int64_t precision) {
  if (precision < 0) return s;
  const std::u32string cps = py::Decode(s);
  if (static_cast<int64_t>(cps.size()) <= precision) return s;
  return py::Encode(std::u32string_view(cps).substr(0, static_cast<size_t>(precision)));
}

// format(value, spec) for str.format.
Result<std::string> FormatValue(const Value& v, const Spec& spec, bool spec_given) {
  if (v.is_string() || !spec_given) {
    if (!v.is_string() && spec.type == 0) return ToStr(v);
    if (spec.type != 0 && spec.type != 's') {
      return Error(std::string("Unknown format code '") + spec.type + "' for object of type 'str'");
    }
    return PadTo(Truncated(ToStr(v), spec.precision), spec, '<');
  }
  if (v.is_float()) return FormatFloat(v.float_value(), spec);
  if (v.is_integral()) {
    if (std::string_view("eEfFgG%").find(spec.type) != std::string_view::npos && spec.type != 0) {
      return FormatFloat(static_cast<double>(v.int_value()), spec);
    }
    return FormatInt(v.int_value(), spec);
  }
  return Error("unsupported format string passed to " + TypeName(v) + ".__format__");
}

Result<Spec> ParseSpec(std::string_view s) {
  Spec spec;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  // The fill may be any character, so look one code point ahead.
  if (!s.empty()) {
    size_t next = 0;
    const char32_t first = py::Decode(s.substr(0, std::min<size_t>(4, s.size())))[0];
    next = py::Encode(std::u32string(1, first)).size();
    if (next < s.size() && is_align(s[next])) {
      spec.fill = std::string(s.substr(0, next));
      spec.align = s[next];
      i = next + 1;
    } else if (is_align(s[0])) {
      spec.align = s[0];
      i = 1;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) spec.sign = s[i++];
  if (i < s.size() && s[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    spec.zero = true;
    ++i;
  }
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i > start)
    spec.width = std::strtoll(std::string(s.substr(start, i - start)).c_str(), nullptr, 10);
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) spec.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return Error("Format specifier missing precision");
    spec.precision = std::strtoll(std::string(s.substr(start, i - start)).c_str(), nullptr, 10);
  }
  if (i < s.size()) spec.type = s[i++];
  if (i != s.size()) return Error("Invalid format specifier");
  return spec;
}

}  // namespace

Result<std::string> PercentFormat(std::string_view format, const Value& args, bool escape_args) {
  List positional;
  const Dict* mapping = nullptr;
  if (args.is_list() && args.seq_kind() == SeqKind::kTuple) {
    positional = args.list();
  } else {
    positional.push_back(args);
    if (args.is_dict()) mapping = &args.dict();
  }
  // Python treats any non-tuple operand with __getitem__ (dict, list) as a
  // mapping and then does not complain about unused arguments.
  const bool mapping_like = args.is_dict() || args.is_undefined() ||
                            (args.is_list() && args.seq_kind() == SeqKind::kList);
  size_t next = 0;
  bool used_mapping = false;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) return Error("incomplete format");
    const Value* arg = nullptr;
    if (format[i] == '(') {
      const size_t close = format.find(')', i);
      if (close == std::string_view::npos) return Error("incomplete format key");
      if (mapping == nullptr) return Error("format requires a mapping");
      arg = mapping->Find(format.substr(i + 1, close - i - 1));
      if (arg == nullptr)
        return Error("KeyError: '" + std::string(format.substr(i + 1, close - i - 1)) + "'");
      used_mapping = true;
      i = close + 1;
    }
    Spec spec;
    for (; i < format.size() && std::string_view("-+ #0").find(format[i]) != std::string_view::npos;
         ++i) {
      if (format[i] == '-') spec.align = '<';
      if (format[i] == '+' || format[i] == ' ') spec.sign = format[i];
      if (format[i] == '#') spec.alternate = true;
      if (format[i] == '0') spec.zero = true;
    }
    auto star = [&](int64_t* field) -> Status {
      if (next >= positional.size() || !positional[next].is_integral()) return Error("* wants int");
      *field = positional[next++].int_value();
      return {};
    };
    if (i < format.size() && format[i] == '*') {
      SHIMMY_JINJA_CHECK(star(&spec.width));
      ++i;
    } else {
      const size_t start = i;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9') ++i;
      if (i > start)
        spec.width =
            std::strtoll(std::string(format.substr(start, i - start)).c_str(), nullptr, 10);
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      if (i < format.size() && format[i] == '*') {
        SHIMMY_JINJA_CHECK(star(&spec.precision));
        ++i;
      } else {
        const size_t start = i;
        while (i < format.size() && format[i] >= '0' && format[i] <= '9') ++i;
        spec.precision =
            std::strtoll(std::string(format.substr(start, i - start)).c_str(), nullptr, 10);
      }
    }
    while (i < format.size() && (format[i] == 'h' || format[i] == 'l' || format[i] == 'L')) ++i;
    if (i >= format.size()) return Error("incomplete format");
    const char conv = format[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (arg == nullptr) {
      if (next >= positional.size()) return Error("not enough arguments for format string");
      arg = &positional[next++];
    }
    if (spec.zero && spec.align == '<') spec.zero = false;
    std::string piece;
    switch (conv) {
      case 's':
      case 'r':
      case 'a':
        piece = conv == 's' ? ToStr(*arg) : Repr(*arg);
        if (escape_args && !arg->is_markup()) piece = HtmlEscape(piece);
        piece = PadTo(Truncated(piece, spec.precision), spec, '>');
        break;
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o':
      case 'c': {
        if (!arg->is_number()) {
          return Error(std::string("%") + conv + " format: a real number is required, not " +
                       TypeName(*arg));
        }
        const int64_t iv = arg->is_float() ? static_cast<int64_t>(std::trunc(arg->float_value()))
                                           : arg->int_value();
        spec.type = (conv == 'i' || conv == 'u') ? 'd' : conv;
        if (spec.precision >= 0 && conv != 'c') {
          // %.3d pads the digits with zeros.
          Spec digits_spec;
          digits_spec.type = spec.type;
          digits_spec.alternate = spec.alternate;
          std::string digits;
          SHIMMY_JINJA_ASSIGN(digits, FormatInt(iv < 0 ? -iv : iv, digits_spec));
          while (static_cast<int64_t>(digits.size()) < spec.precision)
            digits.insert(digits.begin(), '0');
          digits = (iv < 0 ? "-" : (spec.sign == '+' ? "+" : "")) + digits;
          piece = PadTo(digits, spec, '>');
        } else {
          SHIMMY_JINJA_ASSIGN(piece, FormatInt(iv, spec));
        }
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        if (!arg->is_number()) {
          return Error("must be real number, not " + TypeName(*arg));
        }
        spec.type = conv;
        if (spec.precision < 0) spec.precision = 6;
        SHIMMY_JINJA_ASSIGN(piece, FormatFloat(arg->AsDouble(), spec));
        break;
      }
      default:
        return Error(std::string("unsupported format character '") + conv + "'");
    }
    out += piece;
  }
  if (!used_mapping && !mapping_like && next < positional.size()) {
    return Error("not all arguments converted during string formatting");
  }
  return out;
}

Result<std::string> BraceFormat(std::string_view format, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      return Error("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    // Find the matching '}' (one level of nesting inside the spec).
    size_t depth = 1, j = i + 1;
    for (; j < format.size() && depth > 0; ++j) {
      if (format[j] == '{') ++depth;
      if (format[j] == '}') --depth;
    }
    if (depth != 0) return Error("expected '}' before end of string");
    const std::string_view field = format.substr(i + 1, j - i - 2);
    i = j - 1;
    // field_name[!conv][:spec]
    size_t name_end = field.find_first_of("!:");
    const std::string_view name = field.substr(0, name_end);
    char conversion = 0;
    std::string spec_text;
    if (name_end != std::string_view::npos && field[name_end] == '!') {
      if (name_end + 1 >= field.size())
        return Error("end of string while looking for conversion specifier");
      conversion = field[name_end + 1];
      name_end += 2;
      if (name_end < field.size() && field[name_end] != ':')
        return Error("expected ':' after conversion specifier");
    }
    if (name_end != std::string_view::npos && name_end < field.size() && field[name_end] == ':') {
      CallArgs nested_args = args;
      SHIMMY_JINJA_ASSIGN(spec_text, BraceFormat(field.substr(name_end + 1), nested_args));
    }
    // The argument: index, keyword, or automatic numbering, then .attr / [key].
    size_t k = 0;
    while (k < name.size() && name[k] != '.' && name[k] != '[') ++k;
    const std::string_view head = name.substr(0, k);
    Value v;
    if (head.empty() ||
        std::all_of(head.begin(), head.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      const size_t index =
          head.empty() ? auto_index++ : std::strtoull(std::string(head).c_str(), nullptr, 10);
      if (index >= args.positional.size()) {
        return Error("Replacement index " + std::to_string(index) +
                     " out of range for positional args tuple");
      }
      v = args.positional[index];
    } else {
      const Value* kw = args.Keyword(head);
      if (kw == nullptr) return Error("KeyError: '" + std::string(head) + "'");
      v = *kw;
    }
    while (k < name.size()) {
      if (name[k] == '.') {
        size_t e = k + 1;
        while (e < name.size() && name[e] != '.' && name[e] != '[') ++e;
        const std::string attr(name.substr(k + 1, e - k - 1));
        const Value* found = v.is_dict() ? v.dict().Find(attr) : nullptr;
        if (found == nullptr)
          return Error("'" + TypeName(v) + "' object has no attribute '" + attr + "'");
        v = *found;
        k = e;
      } else {
        const size_t close = name.find(']', k);
        if (close == std::string_view::npos) return Error("Missing ']' in format string");
        const std::string key(name.substr(k + 1, close - k - 1));
        const bool numeric = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
          return ch >= '0' && ch <= '9';
        });
        const Value* found = nullptr;
        if (v.is_dict()) {
          found = numeric ? v.dict().Find(Value(std::strtoll(key.c_str(), nullptr, 10)))
                          : v.dict().Find(key);
        } else if (v.is_sequence() && numeric) {
          const size_t index = std::strtoull(key.c_str(), nullptr, 10);
          if (index < v.list().size()) found = &v.list()[index];
        }
        if (found == nullptr) return Error("KeyError: " + key);
        v = *found;
        k = close + 1;
      }
    }
    if (conversion == 'r' || conversion == 'a') {
      v = Value(Repr(v));
    } else if (conversion == 's') {
      v = Value(ToStr(v));
    } else if (conversion != 0) {
      return Error(std::string("Unknown conversion specifier ") + conversion);
    }
    Spec spec;
    SHIMMY_JINJA_ASSIGN(spec, ParseSpec(spec_text));
    std::string piece;
    SHIMMY_JINJA_ASSIGN(piece, FormatValue(v, spec, !spec_text.empty()));
    out += piece;
  }
  return out;
}

}  // namespace shimmy::jinja
