// Python `str` semantics over UTF-8 strings, as the Jinja interpreter needs
// them: code-point indexing, whitespace and case rules, `repr()` of strings
// and floats, `splitlines()`. Case mapping covers Latin, Greek and Cyrillic
// (the scripts chat templates touch); other scripts are left unchanged.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shimmy::jinja::py {

// UTF-8 <-> code points. Invalid bytes decode as U+FFFD.
std::u32string Decode(std::string_view s);
std::string Encode(std::u32string_view s);
size_t CodePointCount(std::string_view s);

// Python's str.isspace() for one code point.
bool IsSpace(char32_t c);
// Python's str.isprintable() for one code point (approximate for rare
// unassigned code points).
bool IsPrintable(char32_t c);
bool IsDigit(char32_t c);
bool IsAlpha(char32_t c);
bool IsUpper(char32_t c);
bool IsLower(char32_t c);

// Full-string case conversions (str.upper, str.lower, str.capitalize,
// str.title, str.swapcase).
std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
std::string Capitalize(std::string_view s);
std::string Title(std::string_view s);

// str.strip / lstrip / rstrip. `chars` == nullptr strips whitespace.
std::string Strip(std::string_view s, const std::string* chars, bool left, bool right);

// str.splitlines(): splits on \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85,
// U+2028, U+2029.
std::vector<std::string> SplitLines(std::string_view s, bool keep_ends);

// repr() of a str: quotes chosen and characters escaped as Python does.
std::string StrRepr(std::string_view s);
// repr() / str() of a float: shortest round-trip digits, "1.0", "1e+16".
std::string FloatRepr(double d);

// Python-style integer formatting helpers.
std::string IntToString(int64_t v);

}  // namespace shimmy::jinja::py
