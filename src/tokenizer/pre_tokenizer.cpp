#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/utf8.h"
#include "tokenizer/pre_tokenizer_digits.h"
#include "tokenizer/pre_tokenizer_table.h"

namespace shimmy {
namespace {

// Unicode White_Space, the set the reference (and Hugging Face's regex
// engines) mean by \s. PCRE2's own \s adds U+180E.
constexpr std::string_view kWhiteSpace =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

// Rewrites \s and \S as explicit White_Space classes.
Result<std::string> ExpandWhitespace(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 64);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char d = pattern[++i];
      if (d == 's') {
        if (in_class) {
          out += kWhiteSpace;
        } else {
          out += '[';
          out += kWhiteSpace;
          out += ']';
        }
      } else if (d == 'S') {
        if (in_class) return Error("\\S inside a character class is not supported");
        out += "[^";
        out += kWhiteSpace;
        out += ']';
      } else {
        out += c;
        out += d;
      }
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal, not the end.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};

// Match state of one Split call; the JIT stack is only made when a match
// outgrows the default one (very long words under backtracking patterns).
class MatchState {
 public:
  MatchState() : data_(pcre2_match_data_create(1, nullptr)) {}
  ~MatchState() {
    if (stack_ != nullptr) pcre2_jit_stack_free(stack_);
    if (context_ != nullptr) pcre2_match_context_free(context_);
    pcre2_match_data_free(data_);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;

  // pcre2_match's return code; on success ovector()[0..1] is the match.
  // `jit`: the pattern has JIT code, which then runs directly (pcre2_match
  // would re-check what the caller guarantees, a cost on short words).
  int Match(const pcre2_code* code, bool jit, const uint8_t* subject, size_t length, size_t start,
            uint32_t options) {
    // JIT code does not take PCRE2_ANCHORED at match time.
    const bool direct = jit && (options & PCRE2_ANCHORED) == 0;
    auto run = [&] {
      return direct ? pcre2_jit_match(code, subject, length, start, options, data_, context_)
                    : pcre2_match(code, subject, length, start, options | PCRE2_NO_UTF_CHECK, data_,
                                  context_);
    };
    int rc = run();
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && stack_ == nullptr) {
      context_ = pcre2_match_context_create(nullptr);
      stack_ = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr);
      if (context_ == nullptr || stack_ == nullptr) return rc;
      pcre2_jit_stack_assign(context_, nullptr, stack_);
      rc = run();
    }
    return rc;
  }
  const PCRE2_SIZE* ovector() const { return pcre2_get_ovector_pointer(data_); }
  bool ok() const { return data_ != nullptr; }

 private:
  pcre2_match_data* data_;
  pcre2_match_context* context_ = nullptr;
  pcre2_jit_stack* stack_ = nullptr;
};

size_t NextCharBoundary(std::string_view s, size_t pos) {
  ++pos;
  while (pos < s.size() && (static_cast<uint8_t>(s[pos]) & 0xC0) == 0x80) ++pos;
  return pos;
}

}  // namespace

// One regex of the sequence: PCRE2, or the linear stand-in for a digit
// grouping pattern that PCRE2 would run in quadratic time.
class PreTokenizer::Step {
 public:
  static Result<Step> Compile(std::string_view pattern) {
    if (auto grouping = DigitGroupingFor(pattern)) {
      Step step;
      step.digits_ = grouping;
      return step;
    }
    auto expanded = ExpandWhitespace(pattern);
    if (!expanded) return expanded.error().Context(std::string(pattern));
    int error = 0;
    PCRE2_SIZE offset = 0;
    // DOLLAR_ENDONLY: '$' means the end of the piece, never "before a final
    // newline" (ECMAScript and Rust semantics).
    pcre2_code* code =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(expanded->data()), expanded->size(),
                      PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &offset, nullptr);
    if (code == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      return Error("pre-tokenizer regex '" + std::string(pattern) + "' at offset " +
                   std::to_string(offset) + ": " + reinterpret_cast<const char*>(message));
    }
    // Without JIT (unsupported CPU) the interpreter gives the same matches.
    Step step;
    step.jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    step.code_.reset(code);
    return step;
  }

  // Appends the matches of this regex inside `piece` and the gaps between
  // them. The piece is the whole subject: lookarounds and '$' stop at its
  // edges, as in the reference.
  void SplitPiece(std::string_view text, TextSpan piece, MatchState& state,
                  std::vector<TextSpan>& out) const {
    if (digits_) {
      SplitDigitGroups(*digits_, text, piece, out);
      return;
    }
    const std::string_view subject = text.substr(piece.begin, piece.end - piece.begin);
    const auto* bytes = reinterpret_cast<const uint8_t*>(subject.data());
    auto emit = [&](size_t b, size_t e) {
      out.push_back(
          {static_cast<uint32_t>(piece.begin + b), static_cast<uint32_t>(piece.begin + e)});
    };
    size_t last = 0;  // end of what has been emitted
    size_t pos = 0;   // where the next search starts
    uint32_t options = 0;
    while (pos < subject.size()) {
      const int rc = state.Match(code_.get(), jit_, bytes, subject.size(), pos, options);
      if (rc == PCRE2_ERROR_NOMATCH && options != 0) {
        // After an empty match, nothing non-empty starts there: move on by
        // one character, as std::regex_iterator does.
        options = 0;
        pos = NextCharBoundary(subject, pos);
        continue;
      }
      // No more matches, or a resource limit on pathological input: the
      // rest stays one piece rather than failing the whole encode.
      if (rc < 0) break;
      const size_t begin = state.ovector()[0];
      const size_t end = state.ovector()[1];
      if (begin < last || end < begin) break;  // \K tricks; none of ours
      if (begin > last) emit(last, begin);
      if (end > begin) emit(begin, end);
      last = end;
      pos = end;
      options = end == begin ? (PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) : 0;
    }
    if (last < subject.size()) emit(last, subject.size());
  }

 private:
  std::unique_ptr<pcre2_code, CodeDeleter> code_;
  bool jit_ = false;
  std::optional<DigitGrouping> digits_;
};

Result<PreTokenizer> PreTokenizer::FromRegexes(std::span<const std::string_view> regexes,
                                               bool ignore_merges) {
  auto steps = std::make_shared<std::vector<Step>>();
  steps->reserve(regexes.size());
  for (std::string_view pattern : regexes) {
    auto step = Step::Compile(pattern);
    if (!step) return step.error();
    steps->push_back(std::move(step).value());
  }
  PreTokenizer pre;
  pre.steps_ = std::move(steps);
  pre.ignore_merges_ = ignore_merges;
  pre.family_ = "custom";
  return pre;
}

PreTokenizer PreTokenizer::ForName(std::string_view name) {
  const PreTokenizerFamily& family = FindPreTokenizerFamily(name);
  auto pre = FromRegexes(family.regexes, family.ignore_merges);
  // The table's patterns are tested; a failure here is a programming error
  // in the table, and splitting on nothing still keeps the text intact.
  if (!pre) {
    PreTokenizer fallback;
    fallback.steps_ = std::make_shared<std::vector<Step>>();
    fallback.family_ = "none";
    return fallback;
  }
  pre->family_ = std::string(family.names.front());
  return std::move(pre).value();
}

void PreTokenizer::Split(std::string_view text, std::vector<TextSpan>& words) const {
  if (text.empty()) return;
  const auto whole = TextSpan{0, static_cast<uint32_t>(text.size())};
  if (steps_->empty()) {
    words.push_back(whole);
    return;
  }
  MatchState state;
  if (!state.ok()) {
    words.push_back(whole);
    return;
  }
  std::vector<TextSpan> current{whole};
  std::vector<TextSpan> next;
  for (size_t i = 0; i < steps_->size(); ++i) {
    // The last step writes straight into the caller's vector.
    std::vector<TextSpan>& out = i + 1 == steps_->size() ? words : next;
    for (const TextSpan& piece : current) (*steps_)[i].SplitPiece(text, piece, state, out);
    if (&out == &next) {
      current.swap(next);
      next.clear();
    }
  }
}

std::vector<std::string> PreTokenizer::SplitToStrings(std::string_view text) const {
  std::string storage;
  const std::string_view valid = SanitizeUtf8(text, storage);
  std::vector<TextSpan> spans;
  Split(valid, spans);
  std::vector<std::string> words;
  words.reserve(spans.size());
  for (const TextSpan& s : spans) words.emplace_back(valid.substr(s.begin, s.end - s.begin));
  return words;
}

namespace {

// Length of the well-formed UTF-8 sequence at s[pos], or 0.
size_t WellFormedLength(std::string_view s, size_t pos) {
  const auto lead = static_cast<uint8_t>(s[pos]);
  if (lead < 0x80) return 1;
  const size_t len = utf8::SequenceLength(lead);
  if (len == 1 || lead > 0xF4 || pos + len > s.size()) return 0;
  const auto c1 = static_cast<uint8_t>(s[pos + 1]);
  // Second-byte ranges that exclude overlong forms, surrogates and values
  // past U+10FFFF.
  uint8_t lo = 0x80, hi = 0xBF;
  if (lead == 0xE0) lo = 0xA0;
  if (lead == 0xED) hi = 0x9F;
  if (lead == 0xF0) lo = 0x90;
  if (lead == 0xF4) hi = 0x8F;
  if (lead < 0xC2 || c1 < lo || c1 > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if ((static_cast<uint8_t>(s[pos + i]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

std::string_view SanitizeUtf8(std::string_view text, std::string& storage) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t len = WellFormedLength(text, pos);
    if (len == 0) break;
    pos += len;
  }
  if (pos == text.size()) return text;

  // Decode the rest the way the reference does: the lead byte fixes the
  // length, continuation bytes must follow, else U+FFFD for one byte.
  storage.assign(text.substr(0, pos));
  while (pos < text.size()) {
    const auto lead = static_cast<uint8_t>(text[pos]);
    size_t len = utf8::SequenceLength(lead);
    if (lead >= 0x80 && (len == 1 || pos + len > text.size())) len = 0;
    char32_t cp = lead;
    if (len > 1) {
      cp = lead & (0x7F >> len);
      for (size_t i = 1; i < len; ++i) {
        const auto c = static_cast<uint8_t>(text[pos + i]);
        if ((c & 0xC0) != 0x80) {
          len = 0;
          break;
        }
        cp = (cp << 6) | (c & 0x3F);
      }
    }
    if (len == 0) {
      utf8::Append(storage, 0xFFFD);
      ++pos;
      continue;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
    utf8::Append(storage, cp);
    pos += len;
  }
  return storage;
}

}  // namespace shimmy
