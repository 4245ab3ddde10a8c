// Grammar::Parse: the GBNF-like text form (see grammar.h) lowered straight
// into GrammarBuilder rules. Groups, quantified sequences and non-ASCII
// classes become anonymous rules.
#include <algorithm>
#include <map>
#include <optional>

#include "base/utf8.h"
#include "sampling/grammar.h"
#include "sampling/utf8_ranges.h"

namespace shimmy {
namespace {

using Kind = GrammarElement::Kind;
using Sequence = std::vector<GrammarElement>;
using Alternatives = std::vector<Sequence>;
using Ranges = std::vector<std::pair<char32_t, char32_t>>;

constexpr size_t kMaxText = 8u << 20;
constexpr int kMaxNesting = 200;
constexpr char32_t kMaxCodePoint = 0x10FFFF;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<std::shared_ptr<const Grammar>> Run() {
    if (s_.size() > kMaxText) return Error("the grammar text is over 8 MiB");
    SkipSpace();
    while (pos_ < s_.size()) {
      const std::string name = Name();
      if (name.empty()) return Fail("expected a rule name");
      SkipSpace();
      if (s_.substr(pos_, 3) != "::=") return Fail("expected '::=' after '" + name + "'");
      pos_ += 3;
      auto alts = ParseAlternatives(name, 0);
      if (!alts) return alts.error();
      if (auto st = b_.Define(b_.Rule(name), std::move(*alts)); !st)
        return Fail(st.error().message());
    }
    return b_.Build("root");
  }

 private:
  Error Fail(const std::string& message) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return Error("grammar line " + std::to_string(line) + " column " + std::to_string(col) + ": " +
                 message);
  }

  void SkipSpace() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string Name() {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  // A name followed by "::=" starts the next rule, ending this one.
  bool AtRuleStart() {
    size_t p = pos_;
    while (p < s_.size() && IsNameChar(s_[p])) ++p;
    if (p == pos_) return false;
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t' || s_[p] == '\n' || s_[p] == '\r')) ++p;
    return s_.substr(p, 3) == "::=";
  }

  Result<Alternatives> ParseAlternatives(const std::string& hint, int depth) {
    if (depth > kMaxNesting) return Fail("groups nested too deeply");
    Alternatives alts(1);
    for (;;) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] == ')' || AtRuleStart()) break;
      if (s_[pos_] == '|') {
        ++pos_;
        alts.emplace_back();
        continue;
      }
      if (auto st = ParseItem(alts.back(), hint, depth); !st) return st.error();
    }
    return alts;
  }

  // One primary and its quantifier, appended to `seq`.
  Status ParseItem(Sequence& seq, const std::string& hint, int depth) {
    Sequence item;
    std::optional<Alternatives> group;
    const char c = s_[pos_];
    if (c == '"') {
      ++pos_;
      std::string bytes;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        auto cp = Char();
        if (!cp) return cp.error();
        if (*cp < 0) {
          bytes += static_cast<char>(-*cp);  // a raw byte of a UTF-8 sequence
        } else {
          utf8::Append(bytes, static_cast<char32_t>(*cp));
        }
      }
      if (pos_ >= s_.size()) return Fail("unterminated literal");
      ++pos_;
      for (unsigned char b : bytes) item.push_back(Bytes(ByteSet().set(b)));
    } else if (c == '[' || c == '.') {
      Ranges ranges;
      if (c == '.') {
        ++pos_;
        ranges.push_back({0, kMaxCodePoint});
      } else {
        auto r = Class();
        if (!r) return r.error();
        ranges = std::move(*r);
      }
      item.push_back(ClassElement(ranges, hint));
    } else if (c == '(') {
      ++pos_;
      auto alts = ParseAlternatives(hint, depth + 1);
      if (!alts) return alts.error();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Fail("expected ')'");
      ++pos_;
      if (alts->size() == 1) {
        item = std::move((*alts)[0]);
      } else {
        group = std::move(*alts);
      }
    } else if (IsNameChar(c)) {
      item.push_back({Kind::kRule, b_.Rule(Name())});
    } else {
      return Fail(std::string("unexpected '") + c + "'");
    }

    uint32_t min = 1, max = 1;
    if (auto st = Quantifier(min, max); !st) return st;
    const bool single = item.size() == 1 && !group && item[0].min == 1 && item[0].max == 1;
    if (min == 1 && max == 1 && !group) {
      seq.insert(seq.end(), item.begin(), item.end());
    } else if (single) {
      item[0].min = min;
      item[0].max = max;
      seq.push_back(item[0]);
    } else {
      const uint32_t rule = b_.AnonymousRule(hint);
      Alternatives alts = group ? std::move(*group) : Alternatives{std::move(item)};
      if (auto st = b_.Define(rule, std::move(alts)); !st) return Fail(st.error().message());
      seq.push_back({Kind::kRule, rule, min, max});
    }
    return {};
  }

  Status Quantifier(uint32_t& min, uint32_t& max) {
    if (pos_ >= s_.size()) return {};
    const char c = s_[pos_];
    if (c == '*' || c == '+' || c == '?') {
      ++pos_;
      min = c == '+' ? 1 : 0;
      max = c == '?' ? 1 : GrammarElement::kUnbounded;
      return {};
    }
    if (c != '{') return {};
    ++pos_;
    auto n = Number();
    if (!n) return n.error();
    min = max = *n;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ',') {
      ++pos_;
      SkipSpace();
      max = GrammarElement::kUnbounded;
      if (pos_ < s_.size() && s_[pos_] != '}') {
        auto m = Number();
        if (!m) return m.error();
        max = *m;
      }
    }
    SkipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '}') return Fail("expected '}'");
    ++pos_;
    if (min > max) return Fail("repetition {n,m} with n > m");
    return {};
  }

  Result<uint32_t> Number() {
    SkipSpace();
    uint64_t v = 0;
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9' &&
           v <= GrammarBuilder::kMaxRepeat) {
      v = v * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
    }
    if (pos_ == start) return Fail("expected a number");
    if (v > GrammarBuilder::kMaxRepeat) {
      return Fail("repetition count over " + std::to_string(GrammarBuilder::kMaxRepeat));
    }
    return static_cast<uint32_t>(v);
  }

  // One character of a literal or class: a code point (>= 0), or the
  // negated value of a raw non-ASCII byte (UTF-8 text is copied bytewise).
  Result<int64_t> Char() {
    const unsigned char c = static_cast<unsigned char>(s_[pos_++]);
    if (c >= 0x80) return -static_cast<int64_t>(c);
    if (c != '\\') return c;
    if (pos_ >= s_.size()) return Fail("unterminated escape");
    const char e = s_[pos_++];
    switch (e) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case '\\':
      case '"':
      case '[':
      case ']':
      case '-':
      case '^':
      case '/':
        return e;
      case 'x':
        return Hex(2);
      case 'u':
        return Hex(4);
      case 'U':
        return Hex(8);
      default:
        return Fail(std::string("unknown escape '\\") + e + "'");
    }
  }

  Result<int64_t> Hex(int digits) {
    int64_t v = 0;
    for (int i = 0; i < digits; ++i, ++pos_) {
      if (pos_ >= s_.size()) return Fail("truncated hex escape");
      const char h = s_[pos_];
      const int d = h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : -1;
      if (d < 0) return Fail("bad hex digit");
      v = v * 16 + d;
    }
    if (v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF))
      return Fail("escape is not a Unicode scalar value");
    return v;
  }

  // A code point for a class: raw UTF-8 is decoded as one character.
  Result<char32_t> ClassChar() {
    if (static_cast<unsigned char>(s_[pos_]) >= 0x80) {
      size_t p = pos_;
      const char32_t cp = utf8::DecodeOne(s_, p);
      if (cp == 0xFFFD && s_.substr(pos_, 3) != "\xEF\xBF\xBD")
        return Fail("invalid UTF-8 in a class");
      pos_ = p;
      return cp;
    }
    auto c = Char();
    if (!c) return c.error();
    return static_cast<char32_t>(*c);
  }

  Result<Ranges> Class() {
    ++pos_;  // '['
    const bool negated = pos_ < s_.size() && s_[pos_] == '^';
    if (negated) ++pos_;
    Ranges ranges;
    while (pos_ < s_.size() && s_[pos_] != ']') {
      auto lo = ClassChar();
      if (!lo) return lo.error();
      char32_t hi = *lo;
      if (pos_ + 1 < s_.size() && s_[pos_] == '-' && s_[pos_ + 1] != ']') {
        ++pos_;
        auto h = ClassChar();
        if (!h) return h.error();
        hi = *h;
        if (hi < *lo) return Fail("class range is reversed");
      }
      ranges.push_back({*lo, hi});
    }
    if (pos_ >= s_.size()) return Fail("unterminated class");
    ++pos_;
    std::sort(ranges.begin(), ranges.end());
    Ranges merged;
    for (const auto& r : ranges) {
      if (!merged.empty() && r.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    if (!negated) return merged;
    Ranges complement;
    char32_t next = 0;
    for (const auto& r : merged) {
      if (r.first > next) complement.push_back({next, r.first - 1});
      next = r.second + 1;
    }
    if (next <= kMaxCodePoint) complement.push_back({next, kMaxCodePoint});
    return complement;
  }

  GrammarElement Bytes(const ByteSet& set) { return {Kind::kBytes, b_.ByteClass(set)}; }

  // ASCII-only classes are one byte class; others a rule with one
  // alternative per UTF-8 length pattern (shared between equal classes).
  GrammarElement ClassElement(const Ranges& ranges, const std::string& hint) {
    ByteSet ascii;
    bool multibyte = false;
    for (const auto& [lo, hi] : ranges) {
      for (char32_t c = lo; c <= std::min<char32_t>(hi, 0x7F); ++c) ascii.set(c);
      multibyte = multibyte || hi > 0x7F;
    }
    if (!multibyte) return Bytes(ascii);
    auto [it, inserted] = class_rules_.emplace(ranges, 0);
    if (inserted) {
      Alternatives alts;
      if (ascii.any()) alts.push_back({Bytes(ascii)});
      for (const auto& [lo, hi] : ranges) {
        if (hi < 0x80) continue;
        for (const auto& seq : Utf8Sequences(std::max<char32_t>(lo, 0x80), hi)) {
          Sequence s;
          for (const ByteRange& r : seq) {
            ByteSet set;
            for (int b = r.lo; b <= r.hi; ++b) set.set(static_cast<size_t>(b));
            s.push_back(Bytes(set));
          }
          alts.push_back(std::move(s));
        }
      }
      it->second = b_.AnonymousRule(hint + "-char");
      (void)b_.Define(it->second, std::move(alts));  // a handful of elements: within limits
    }
    return {Kind::kRule, it->second};
  }

  std::string_view s_;
  size_t pos_ = 0;
  GrammarBuilder b_;
  std::map<Ranges, uint32_t> class_rules_;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> Grammar::Parse(std::string_view text) {
  return Parser(text).Run();
}

}  // namespace shimmy
