#include "jinja/py_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/utf8.h"

namespace shimmy::jinja::py {
namespace {

struct Range {
  char32_t lo, hi;
};

bool InRanges(char32_t c, const Range* ranges, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (c >= ranges[i].lo && c <= ranges[i].hi) return true;
  }
  return false;
}

// Latin Extended-A pairs: in [0x100, 0x137] and [0x14A, 0x177] the even code
// point is the capital; in [0x139, 0x148] and [0x179, 0x17E] the odd one is.
bool EvenIsUpper(char32_t c) {
  return (c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177) || (c >= 0x460 && c <= 0x481) ||
         (c >= 0x48A && c <= 0x4BF);
}
bool OddIsUpper(char32_t c) { return (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E); }

char32_t ToUpperCp(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if (c == 0xB5) return 0x39C;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c == 0x131) return 'I';
  if (c == 0x17F) return 'S';
  if (EvenIsUpper(c)) return (c % 2 == 1) ? c - 1 : c;
  if (OddIsUpper(c)) return (c % 2 == 0) ? c - 1 : c;
  if (c >= 0x3B1 && c <= 0x3C9) return c == 0x3C2 ? 0x3A3 : c - 32;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 37;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 63;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 32;
  return c;
}

char32_t ToLowerCp(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if (c == 0x130) return 'i';
  if (EvenIsUpper(c)) return (c % 2 == 0) ? c + 1 : c;
  if (OddIsUpper(c)) return (c % 2 == 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 63;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
  return c;
}

void AppendUpper(std::string& out, char32_t c) {
  if (c == 0xDF) {  // sharp s has no single-character capital in Python
    out += "SS";
    return;
  }
  utf8::Append(out, ToUpperCp(c));
}

bool IsCased(char32_t c) { return ToUpperCp(c) != c || ToLowerCp(c) != c || c == 0xDF; }

}  // namespace

std::u32string Decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) out.push_back(utf8::DecodeOne(s, pos));
  return out;
}

std::string Encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) utf8::Append(out, c);
  return out;
}

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool IsPrintable(char32_t c) {
  static constexpr Range kNotPrintable[] = {
      {0x00, 0x1F},       {0x7F, 0xA0},        {0xAD, 0xAD},       {0x600, 0x605},
      {0x61C, 0x61C},     {0x6DD, 0x6DD},      {0x70F, 0x70F},     {0x890, 0x891},
      {0x8E2, 0x8E2},     {0x1680, 0x1680},    {0x180E, 0x180E},   {0x2000, 0x200F},
      {0x2028, 0x202F},   {0x205F, 0x2064},    {0x2066, 0x206F},   {0x3000, 0x3000},
      {0xD800, 0xF8FF},   {0xFEFF, 0xFEFF},    {0xFFF0, 0xFFFB},   {0xFFFE, 0xFFFF},
      {0x110BD, 0x110BD}, {0x110CD, 0x110CD},  {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
      {0x1D173, 0x1D17A}, {0xE0000, 0x10FFFF},
  };
  return !InRanges(c, kNotPrintable, sizeof(kNotPrintable) / sizeof(kNotPrintable[0]));
}

bool IsDigit(char32_t c) {
  return (c >= '0' && c <= '9') || c == 0xB2 || c == 0xB3 || c == 0xB9 ||
         (c >= 0x660 && c <= 0x669) || (c >= 0x6F0 && c <= 0x6F9) || (c >= 0xFF10 && c <= 0xFF19);
}

bool IsAlpha(char32_t c) {
  static constexpr Range kAlpha[] = {
      {'A', 'Z'},       {'a', 'z'},       {0xAA, 0xAA},     {0xB5, 0xB5},       {0xBA, 0xBA},
      {0xC0, 0xD6},     {0xD8, 0xF6},     {0xF8, 0x2C1},    {0x370, 0x373},     {0x376, 0x377},
      {0x37B, 0x37D},   {0x386, 0x386},   {0x388, 0x3FF},   {0x400, 0x481},     {0x48A, 0x52F},
      {0x531, 0x556},   {0x561, 0x587},   {0x5D0, 0x5EA},   {0x620, 0x64A},     {0x671, 0x6D3},
      {0x904, 0x939},   {0xE01, 0xE30},   {0x10A0, 0x10FF}, {0x1100, 0x11FF},   {0x1E00, 0x1FFF},
      {0x3041, 0x3096}, {0x30A1, 0x30FA}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3},
      {0xF900, 0xFAFF}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x20000, 0x2FFFF},
  };
  return InRanges(c, kAlpha, sizeof(kAlpha) / sizeof(kAlpha[0]));
}

bool IsUpper(char32_t c) { return ToLowerCp(c) != c; }
bool IsLower(char32_t c) { return ToUpperCp(c) != c || c == 0xDF; }

std::string Upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) AppendUpper(out, utf8::DecodeOne(s, pos));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) utf8::Append(out, ToLowerCp(utf8::DecodeOne(s, pos)));
  return out;
}

std::string Capitalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool first = true;
  for (size_t pos = 0; pos < s.size();) {
    const char32_t c = utf8::DecodeOne(s, pos);
    if (first) {
      AppendUpper(out, c);
      first = false;
    } else {
      utf8::Append(out, ToLowerCp(c));
    }
  }
  return out;
}

std::string Title(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool previous_cased = false;
  for (size_t pos = 0; pos < s.size();) {
    const char32_t c = utf8::DecodeOne(s, pos);
    if (IsCased(c)) {
      if (previous_cased) {
        utf8::Append(out, ToLowerCp(c));
      } else {
        AppendUpper(out, c);
      }
      previous_cased = true;
    } else {
      utf8::Append(out, c);
      previous_cased = false;
    }
  }
  return out;
}

std::string Strip(std::string_view s, const std::string* chars, bool left, bool right) {
  const std::u32string cps = Decode(s);
  std::u32string set;
  if (chars != nullptr) set = Decode(*chars);
  auto strip_it = [&](char32_t c) {
    return chars == nullptr ? IsSpace(c) : set.find(c) != std::u32string::npos;
  };
  size_t begin = 0;
  size_t end = cps.size();
  if (left) {
    while (begin < end && strip_it(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strip_it(cps[end - 1])) --end;
  }
  return Encode(std::u32string_view(cps).substr(begin, end - begin));
}

std::vector<std::string> SplitLines(std::string_view s, bool keep_ends) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const char32_t c = utf8::DecodeOne(s, pos);
    const bool is_break = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C ||
                          (c >= 0x1C && c <= 0x1E) || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!is_break) {
      line.append(s.substr(start, pos - start));
      continue;
    }
    size_t end = pos;
    if (c == '\r' && pos < s.size() && s[pos] == '\n') end = ++pos;
    if (keep_ends) line.append(s.substr(start, end - start));
    lines.push_back(std::move(line));
    line.clear();
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string StrRepr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const char32_t c = utf8::DecodeOne(s, pos);
    char buf[16];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == static_cast<char32_t>(quote)) {
      out += '\\';
      out += quote;
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (IsPrintable(c)) {
      out.append(s.substr(start, pos - start));
    } else if (c < 0x100) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    }
  }
  out += quote;
  return out;
}

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  // sci looks like "-1.2345e+02": split sign, digits and exponent.
  const size_t e = sci.find('e');
  std::string_view mant = sci.substr(0, e);
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
  std::string out;
  if (!mant.empty() && mant[0] == '-') {
    out += '-';
    mant.remove_prefix(1);
  }
  std::string digits;
  for (char ch : mant) {
    if (ch != '.') digits += ch;
  }
  if (exp < -4 || exp >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    std::snprintf(buf, sizeof(buf), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += buf;
    return out;
  }
  if (exp < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exp - 1), '0');
    out += digits;
    return out;
  }
  const size_t int_len = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_len) {
    out += digits;
    out.append(int_len - digits.size(), '0');
    out += ".0";
  } else {
    out.append(digits, 0, int_len);
    out += '.';
    out.append(digits, int_len);
  }
  return out;
}

std::string IntToString(int64_t v) { return std::to_string(v); }

}  // namespace shimmy::jinja::py
