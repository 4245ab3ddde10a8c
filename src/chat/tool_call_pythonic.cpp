// Calls written as code rather than JSON: LFM2's Python call list
//   <|tool_call_start|>[get_weather(location="Paris", days=3), f()]<|tool_call_end|>
// and Gemma 4's
//   <|tool_call>call:get_weather{location:<|"|>Paris<|"|>,days:3}<tool_call|>
// Both read values with one literal reader: Python literals ('..', "..",
// True/False/None, numbers, [..], (..), {k: v}), JSON literals, Gemma's
// <|"|>-quoted strings and bare object keys. Parsers keep the contract in
// tool_call_formats.h: running out of text is "incomplete", anything else that
// fails is "invalid", and neither depends on bytes not yet seen.
#include "chat/stream_text.h"
#include "chat/tool_call_formats.h"

namespace shimmy::chat::detail {
namespace {

constexpr std::string_view kGemmaQuote = "<|\"|>";

class LiteralReader {
 public:
  LiteralReader(std::string_view text, size_t pos) : t_(text), p_(pos) {}

  size_t pos() const { return p_; }
  bool ran_out() const { return ran_out_; }
  BlockResult Failure(const BlockContext& ctx) const {
    return ran_out_ ? Need(ctx) : BlockResult::Invalid();
  }

  void Space() { p_ = SkipSpace(t_, p_); }

  // Consumes `lit` at the cursor (after whitespace).
  bool Expect(std::string_view lit) {
    Space();
    switch (MatchAt(t_, p_, lit)) {
      case Match::kYes:
        p_ += lit.size();
        return true;
      case Match::kPartial:
        return RanOut();
      case Match::kNo:
        break;
    }
    return false;
  }

  // Is the next non-space byte `c`? (Never consumes.)
  bool Peek(char c) {
    Space();
    return p_ < t_.size() && t_[p_] == c;
  }

  // A function name (letters, digits, _ - . :), or with `key` an argument
  // name (no '.' or ':', which end it).
  bool Name(std::string& name, bool key = false) {
    Space();
    const size_t start = p_;
    while (p_ < t_.size() && IsNameByte(t_[p_]) && !(key && (t_[p_] == '.' || t_[p_] == ':'))) {
      ++p_;
    }
    if (p_ == t_.size()) return RanOut();
    name = std::string(t_.substr(start, p_ - start));
    return !name.empty();
  }

  // name(key=value, ...) -> call.
  bool PythonCall(ToolCall& call) {
    if (!Name(call.name) || !Expect("(")) return false;
    Json args = Json::object();
    if (!Items(')', [&] {
          std::string key;
          Json value;
          if (!Name(key, true) || !Expect("=") || !Value(value, 0)) return false;
          args[key] = std::move(value);
          return true;
        })) {
      return false;
    }
    call.arguments = DumpCompact(args);
    return true;
  }

  // {key: value, ...} after the '{' was consumed.
  bool ObjectBody(Json& out, int depth) {
    out = Json::object();
    return Items('}', [&] {
      Json key;
      Space();
      if (p_ < t_.size() && (t_[p_] == '\'' || t_[p_] == '"' || t_[p_] == '<')) {
        if (!Value(key, depth + 1) || !key.is_string()) return false;
      } else {
        std::string name;
        if (!Name(name, true)) return false;
        key = name;
      }
      Json value;
      if (!Expect(":") || !Value(value, depth + 1)) return false;
      out[key.get<std::string>()] = std::move(value);
      return true;
    });
  }

  bool Value(Json& out, int depth) {
    Space();
    if (depth > 64) return false;
    if (p_ == t_.size()) return RanOut();
    const char c = t_[p_];
    if (c == '<') {
      if (!Expect(kGemmaQuote)) return false;
      const size_t end = t_.find(kGemmaQuote, p_);
      if (end == std::string_view::npos) return RanOut();
      out = std::string(t_.substr(p_, end - p_));
      p_ = end + kGemmaQuote.size();
      return true;
    }
    if (c == '\'' || c == '"') return Quoted(c, out);
    if (c == '[' || c == '(') {
      ++p_;
      out = Json::array();
      return Items(c == '[' ? ']' : ')', [&] {
        Json item;
        if (!Value(item, depth + 1)) return false;
        out.push_back(std::move(item));
        return true;
      });
    }
    if (c == '{') {
      ++p_;
      return ObjectBody(out, depth);
    }
    const size_t start = p_;
    while (p_ < t_.size() && (IsNameByte(t_[p_]) || t_[p_] == '+') && t_[p_] != ':') ++p_;
    if (p_ == t_.size()) return RanOut();
    const std::string_view word = t_.substr(start, p_ - start);
    if (word == "True" || word == "true") {
      out = true;
    } else if (word == "False" || word == "false") {
      out = false;
    } else if (word == "None" || word == "null") {
      out = nullptr;
    } else {
      out = Json::parse(word.begin(), word.end(), nullptr, /*allow_exceptions=*/false);
      return !out.is_discarded() && out.is_number();
    }
    return true;
  }

 private:
  bool RanOut() {
    ran_out_ = true;
    return false;
  }

  // Comma-separated items up to `close` (a trailing comma allowed).
  template <typename ItemFn>
  bool Items(char close, ItemFn item) {
    for (bool first = true;; first = false) {
      if (Peek(close)) {
        ++p_;
        return true;
      }
      if (!first) {
        if (!Expect(",")) return false;
        if (Peek(close)) continue;
      }
      if (!item()) return false;
    }
  }

  // A quoted string with Python/JSON escapes.
  bool Quoted(char quote, Json& out) {
    std::string s;
    for (size_t q = p_ + 1; q < t_.size(); ++q) {
      char ch = t_[q];
      if (ch == quote) {
        out = std::move(s);
        p_ = q + 1;
        return true;
      }
      if (ch != '\\') {
        s += ch;
        continue;
      }
      if (++q == t_.size()) break;
      switch (ch = t_[q]) {
        case 'n':
          s += '\n';
          break;
        case 't':
          s += '\t';
          break;
        case 'r':
          s += '\r';
          break;
        case 'u':
        case 'x': {
          const size_t digits = ch == 'u' ? 4 : 2;
          if (q + digits >= t_.size()) return RanOut();
          unsigned cp = 0;
          for (size_t i = 1; i <= digits; ++i) {
            const char h = t_[q + i];
            const int v = h >= '0' && h <= '9'   ? h - '0'
                          : h >= 'a' && h <= 'f' ? h - 'a' + 10
                          : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                 : -1;
            if (v < 0) return false;
            cp = cp * 16 + static_cast<unsigned>(v);
          }
          q += digits;
          // UTF-8 of a BMP code point (surrogates are kept as-is bytes-wise).
          if (cp < 0x80) {
            s += static_cast<char>(cp);
          } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:  // \\ \' \" and anything else: the character itself
          s += ch;
          break;
      }
    }
    return RanOut();
  }

  std::string_view t_;
  size_t p_;
  bool ran_out_ = false;
};

}  // namespace

// LFM2: <|tool_call_start|>[name(k=v, ..), ..]<|tool_call_end|>
BlockResult ParseLfm2(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  LiteralReader r(text, marker_len);
  std::vector<ToolCall> calls;
  const bool list = r.Expect("[");
  if (!list && r.ran_out()) return Need(ctx);
  for (;;) {
    ToolCall call;
    if (!r.PythonCall(call)) return r.Failure(ctx);
    calls.push_back(std::move(call));
    if (!list) break;
    if (r.Expect("]")) break;
    if (!r.Expect(",")) return r.Failure(ctx);
  }
  return CloseWith(text, r.pos(), "<|tool_call_end|>", ctx, std::move(calls));
}

// Gemma 4: <|tool_call>call:NAME{key:value,..}<tool_call|>
BlockResult ParseGemma4(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  LiteralReader r(text, marker_len);
  ToolCall call;
  Json args;
  if (!r.Expect("call:") || !r.Name(call.name) || !r.Expect("{") || !r.ObjectBody(args, 0)) {
    return r.Failure(ctx);
  }
  call.arguments = DumpCompact(args);
  return CloseWith(text, r.pos(), "<tool_call|>", ctx, {std::move(call)});
}

}  // namespace shimmy::chat::detail
