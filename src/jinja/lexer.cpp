#include "jinja/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <tuple>

#include "base/utf8.h"
#include "jinja/py_text.h"

namespace shimmy::jinja {
namespace {

bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsNameChar(char c) { return IsNameStart(c) || IsDigitChar(c); }

// Length of the Python-whitespace prefix of s (Unicode aware).
size_t WhitespacePrefix(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t next = pos;
    if (!py::IsSpace(utf8::DecodeOne(s, next))) break;
    pos = next;
  }
  return pos;
}

// Length of s without its trailing Python whitespace.
size_t StripTrailingWhitespace(std::string_view s) {
  size_t keep = 0;
  for (size_t pos = 0; pos < s.size();) {
    if (!py::IsSpace(utf8::DecodeOne(s, pos))) keep = pos;
  }
  return keep;
}

// jinja2 joins the source's lines with "\n" (so \r\n, \r and the other
// Python line breaks become \n) and drops one trailing line break.
std::string NormalizeNewlines(std::string_view source) {
  const auto lines = py::SplitLines(source, false);
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<std::vector<Token>> Run();

 private:
  Error Fail(size_t pos, const std::string& message) const {
    const auto [line, column] = Position(pos);
    return Error("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                 message);
  }
  std::pair<int, int> Position(size_t pos) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    const size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
    return {static_cast<int>(line_index + 1), static_cast<int>(pos - line_starts_[line_index] + 1)};
  }
  void Emit(TokenKind kind, size_t pos, std::string text = {}) {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    std::tie(t.line, t.column) = Position(pos);
    tokens_.push_back(std::move(t));
  }
  void EmitText(size_t pos, std::string_view text) {
    if (!text.empty()) Emit(TokenKind::kText, pos, std::string(text));
  }
  // Applies "-" / lstrip_blocks to the text that precedes a tag.
  std::string_view StripBefore(std::string_view text, char sign, bool is_variable) const;
  // Skips what follows a closing delimiter: all whitespace after "-", one
  // newline (trim_blocks) for block-like tags, nothing after "+".
  size_t SkipAfter(size_t pos, char sign, bool trim_newline);
  Result<size_t> LexComment(size_t body);
  Result<size_t> LexRaw(size_t pos, size_t body);
  Result<size_t> LexTag(size_t pos, bool is_block);
  Result<size_t> LexString(size_t pos);
  size_t LexNumber(size_t pos);
  // If a raw-begin tag starts at pos ("{%", sign, "raw", "%}"), returns the
  // position after it.
  size_t MatchRawBegin(size_t pos) const;

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  bool line_starting_ = true;
};

std::string_view Lexer::StripBefore(std::string_view text, char sign, bool is_variable) const {
  if (sign == '-') return text.substr(0, StripTrailingWhitespace(text));
  if (sign == '+' || is_variable) return text;
  // lstrip_blocks: drop the whitespace between the last line start and the tag.
  const size_t nl = text.rfind('\n');
  const size_t line_pos = nl == std::string_view::npos ? 0 : nl + 1;
  if (line_pos == 0 && !line_starting_) return text;
  const std::string_view tail = text.substr(line_pos);
  if (!tail.empty() && WhitespacePrefix(tail) == tail.size()) return text.substr(0, line_pos);
  return text;
}

size_t Lexer::SkipAfter(size_t pos, char sign, bool trim_newline) {
  if (sign == '-') {
    pos += WhitespacePrefix(std::string_view(src_).substr(pos));
  } else if (sign != '+' && trim_newline && pos < src_.size() && src_[pos] == '\n') {
    ++pos;
  }
  line_starting_ = src_[pos - 1] == '\n';
  return pos;
}

size_t Lexer::MatchRawBegin(size_t pos) const {
  size_t p = pos + 2;
  if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
  while (p < src_.size() && IsAsciiSpace(src_[p])) ++p;
  if (src_.compare(p, 3, "raw") != 0) return 0;
  p += 3;
  while (p < src_.size() && IsAsciiSpace(src_[p])) ++p;
  if (src_.compare(p, 3, "-%}") == 0) {
    p += 3;
    return p + WhitespacePrefix(std::string_view(src_).substr(p));
  }
  if (src_.compare(p, 2, "%}") == 0) return p + 2;
  return 0;
}

Result<size_t> Lexer::LexComment(size_t body) {
  size_t end = src_.find("#}", body);
  if (end == std::string::npos) return Fail(body, "missing end of comment tag");
  char sign = 0;
  if (end > body && (src_[end - 1] == '-' || src_[end - 1] == '+')) sign = src_[end - 1];
  return SkipAfter(end + 2, sign, /*trim_newline=*/true);
}

Result<size_t> Lexer::LexRaw(size_t pos, size_t body) {
  line_starting_ = src_[body - 1] == '\n';
  // Find "{%", optional sign, spaces, "endraw", spaces, end delimiter.
  for (size_t at = src_.find("{%", body); at != std::string::npos; at = src_.find("{%", at + 1)) {
    size_t p = at + 2;
    char sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
    while (p < src_.size() && IsAsciiSpace(src_[p])) ++p;
    if (src_.compare(p, 6, "endraw") != 0) continue;
    p += 6;
    while (p < src_.size() && IsAsciiSpace(src_[p])) ++p;
    char end_sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) end_sign = src_[p++];
    if (src_.compare(p, 2, "%}") != 0) continue;
    const std::string_view text = std::string_view(src_).substr(body, at - body);
    EmitText(body, StripBefore(text, sign, false));
    return SkipAfter(p + 2, end_sign, /*trim_newline=*/true);
  }
  return Fail(pos, "missing end of raw directive");
}

size_t Lexer::LexNumber(size_t pos) {
  const size_t start = pos;
  auto digits = [&](size_t p) {  // (\d+_)*\d+
    size_t q = p;
    while (q < src_.size() &&
           (IsDigitChar(src_[q]) ||
            (src_[q] == '_' && q > p && q + 1 < src_.size() && IsDigitChar(src_[q + 1])))) {
      ++q;
    }
    return q;
  };
  // Integer with base prefix.
  if (src_[pos] == '0' && pos + 1 < src_.size() &&
      (src_[pos + 1] == 'x' || src_[pos + 1] == 'X' || src_[pos + 1] == 'b' ||
       src_[pos + 1] == 'B' || src_[pos + 1] == 'o' || src_[pos + 1] == 'O')) {
    const char kind = static_cast<char>(src_[pos + 1] | 0x20);
    const int base = kind == 'x' ? 16 : (kind == 'b' ? 2 : 8);
    size_t p = pos + 2;
    std::string text;
    while (p < src_.size()) {
      const char c = src_[p];
      const int d = IsDigitChar(c)
                        ? c - '0'
                        : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : 99);
      if (c == '_') {
        ++p;
        continue;
      }
      if (d >= base) break;
      text += c;
      ++p;
    }
    if (!text.empty()) {
      Emit(TokenKind::kInt, start);
      tokens_.back().int_value = static_cast<int64_t>(std::strtoull(text.c_str(), nullptr, base));
      return p;
    }
  }
  size_t p = digits(pos);
  bool is_float = false;
  if (p + 1 < src_.size() && src_[p] == '.' && IsDigitChar(src_[p + 1])) {
    p = digits(p + 1);
    is_float = true;
  }
  if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
    size_t q = p + 1;
    if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
    if (q < src_.size() && IsDigitChar(src_[q])) {
      p = digits(q);
      is_float = true;
    }
  }
  std::string text;
  for (size_t i = start; i < p; ++i) {
    if (src_[i] != '_') text += src_[i];
  }
  if (is_float) {
    Emit(TokenKind::kFloat, start);
    tokens_.back().float_value = std::strtod(text.c_str(), nullptr);
  } else {
    Emit(TokenKind::kInt, start);
    errno = 0;
    const long long v = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == ERANGE) {  // Python ints are unbounded; ours stop at 64 bits
      tokens_.back().kind = TokenKind::kFloat;
      tokens_.back().float_value = std::strtod(text.c_str(), nullptr);
    } else {
      tokens_.back().int_value = v;
    }
  }
  return p;
}

Result<size_t> Lexer::LexString(size_t pos) {
  const char quote = src_[pos];
  std::string value;
  size_t p = pos + 1;
  while (true) {
    if (p >= src_.size()) return Fail(pos, "unterminated string literal");
    const char c = src_[p];
    if (c == quote) break;
    if (c != '\\' || p + 1 >= src_.size()) {
      value += c;
      ++p;
      continue;
    }
    const char e = src_[p + 1];
    p += 2;
    auto hex = [&](int n) -> int64_t {
      if (p + n > src_.size()) return -1;
      int64_t v = 0;
      for (int i = 0; i < n; ++i) {
        const char h = static_cast<char>(src_[p + i] | 0x20);
        if (IsDigitChar(src_[p + i])) {
          v = v * 16 + (src_[p + i] - '0');
        } else if (h >= 'a' && h <= 'f') {
          v = v * 16 + (h - 'a' + 10);
        } else {
          return -1;
        }
      }
      p += n;
      return v;
    };
    switch (e) {
      case '\n':
        break;  // line continuation
      case '\\':
        value += '\\';
        break;
      case '\'':
        value += '\'';
        break;
      case '"':
        value += '"';
        break;
      case 'a':
        value += '\a';
        break;
      case 'b':
        value += '\b';
        break;
      case 'f':
        value += '\f';
        break;
      case 'n':
        value += '\n';
        break;
      case 'r':
        value += '\r';
        break;
      case 't':
        value += '\t';
        break;
      case 'v':
        value += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const int64_t cp = hex(e == 'x' ? 2 : (e == 'u' ? 4 : 8));
        if (cp < 0 || cp > 0x10FFFF) return Fail(p, "invalid escape in string literal");
        utf8::Append(value, static_cast<char32_t>(cp));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          for (int i = 0; i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++i) {
            v = v * 8 + (src_[p++] - '0');
          }
          utf8::Append(value, static_cast<char32_t>(v));
        } else {
          value += '\\';
          value += e;
        }
    }
  }
  Emit(TokenKind::kString, pos, std::move(value));
  return p + 1;
}

Result<size_t> Lexer::LexTag(size_t pos, bool is_block) {
  std::vector<char> brackets;
  const char closer = is_block ? '%' : '}';
  size_t p = pos;
  while (true) {
    if (p >= src_.size())
      return Fail(pos, is_block ? "unexpected end of template inside {% %}"
                                : "unexpected end of template inside {{ }}");
    const char c = src_[p];
    if (brackets.empty()) {
      // End delimiter, possibly with a sign.
      const bool signed_end = (c == '-' || (c == '+' && is_block)) && p + 2 < src_.size() &&
                              src_[p + 1] == closer && src_[p + 2] == '}';
      if (signed_end || (c == closer && p + 1 < src_.size() && src_[p + 1] == '}')) {
        Emit(is_block ? TokenKind::kBlockEnd : TokenKind::kVarEnd, p);
        const size_t after = p + (signed_end ? 3 : 2);
        return SkipAfter(after, signed_end ? c : 0, is_block);
      }
    }
    if (IsAsciiSpace(c)) {
      ++p;
      continue;
    }
    if (IsDigitChar(c) && !(p > 0 && src_[p - 1] == '.')) {
      p = LexNumber(p);
      continue;
    }
    if (IsDigitChar(c)) {  // "x.0": an integer attribute, never a float
      size_t q = p;
      while (q < src_.size() && IsDigitChar(src_[q])) ++q;
      Emit(TokenKind::kInt, p);
      tokens_.back().int_value = std::strtoll(src_.substr(p, q - p).c_str(), nullptr, 10);
      p = q;
      continue;
    }
    if (IsNameStart(c)) {
      size_t q = p;
      while (q < src_.size() && IsNameChar(src_[q])) ++q;
      Emit(TokenKind::kName, p, src_.substr(p, q - p));
      p = q;
      continue;
    }
    if (c == '\'' || c == '"') {
      auto next = LexString(p);
      if (!next) return next.error();
      p = *next;
      continue;
    }
    static constexpr std::string_view kTwoChar[] = {"//", "**", "==", "!=", ">=", "<="};
    bool matched = false;
    for (std::string_view op : kTwoChar) {
      if (src_.compare(p, 2, op) == 0) {
        Emit(TokenKind::kOperator, p, std::string(op));
        p += 2;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (std::string_view("+-/*%~[](){}<>=.:|,;").find(c) == std::string_view::npos) {
      return Fail(p, std::string("unexpected character '") + c + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets.empty() || brackets.back() != c) {
        return Fail(p, std::string("unexpected '") + c + "'");
      }
      brackets.pop_back();
    }
    Emit(TokenKind::kOperator, p, std::string(1, c));
    ++p;
  }
}

Result<std::vector<Token>> Lexer::Run() {
  size_t pos = 0;
  while (pos < src_.size()) {
    // Next tag opener: "{{", "{%" or "{#".
    size_t tag = pos;
    while (true) {
      tag = src_.find('{', tag);
      if (tag == std::string::npos || tag + 1 >= src_.size()) {
        tag = std::string::npos;
        break;
      }
      const char k = src_[tag + 1];
      if (k == '{' || k == '%' || k == '#') break;
      ++tag;
    }
    if (tag == std::string::npos) {
      EmitText(pos, std::string_view(src_).substr(pos));
      break;
    }
    const char kind = src_[tag + 1];
    const char sign =
        tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+') ? src_[tag + 2] : 0;
    const std::string_view text = std::string_view(src_).substr(pos, tag - pos);
    EmitText(pos, StripBefore(text, sign, kind == '{'));
    const size_t body = tag + 2 + (sign != 0 ? 1 : 0);
    Result<size_t> next = body;
    if (kind == '#') {
      next = LexComment(body);
    } else if (kind == '%') {
      if (const size_t raw_body = MatchRawBegin(tag); raw_body != 0) {
        next = LexRaw(tag, raw_body);
      } else {
        Emit(TokenKind::kBlockBegin, tag);
        next = LexTag(body, /*is_block=*/true);
      }
    } else {
      Emit(TokenKind::kVarBegin, tag);
      next = LexTag(body, /*is_block=*/false);
    }
    if (!next) return next.error();
    pos = *next;
  }
  Emit(TokenKind::kEof, src_.size());
  return std::move(tokens_);
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view source) {
  Lexer lexer(NormalizeNewlines(source));
  return lexer.Run();
}

}  // namespace shimmy::jinja
