#include "tokenizer/pre_tokenizer_digits.h"

#include <utf8proc.h>

#include "base/utf8.h"

namespace shimmy {
namespace {

bool IsDecimalDigit(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_ND;
}

bool IsWordChar(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
           cp == '_';
  }
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return (category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_LO) ||
         (category >= UTF8PROC_CATEGORY_ND && category <= UTF8PROC_CATEGORY_NO);
}

}  // namespace

std::optional<DigitGrouping> DigitGroupingFor(std::string_view pattern) {
  if (pattern == R"((?=(\d{3})+(?!\d)))") return DigitGrouping::kCutBeforeGroups;
  if (pattern == R"(\d{1,3}(?=(?:\d{3})*\b))") return DigitGrouping::kGroupsAtWordBoundary;
  return std::nullopt;
}

void SplitDigitGroups(DigitGrouping grouping, std::string_view text, TextSpan piece,
                      std::vector<TextSpan>& out) {
  uint32_t last = piece.begin;  // end of what has been emitted
  auto emit_to = [&](uint32_t end) {
    if (end > last) out.push_back({last, end});
    last = end;
  };
  // Byte offset of each digit of the current run.
  std::vector<uint32_t> digits;
  size_t pos = piece.begin;
  while (pos < piece.end) {
    const auto at = static_cast<uint32_t>(pos);
    const char32_t cp = utf8::DecodeOne(text.substr(0, piece.end), pos);
    if (IsDecimalDigit(cp)) {
      digits.push_back(at);
      if (pos < piece.end) continue;
    }
    if (digits.empty()) continue;
    // The run ended at `run_end`, followed by `cp` (or by the piece end).
    const bool at_piece_end = IsDecimalDigit(cp);
    const uint32_t run_end = at_piece_end ? static_cast<uint32_t>(pos) : at;
    const size_t n = digits.size();
    if (grouping == DigitGrouping::kCutBeforeGroups) {
      // Cut where a positive multiple of three digits remains.
      for (size_t k = 0; k < n; ++k) {
        if ((n - k) % 3 == 0) emit_to(digits[k]);
      }
    } else if (at_piece_end || !IsWordChar(cp)) {
      emit_to(digits[0]);
      size_t k = n % 3 == 0 ? 3 : n % 3;
      for (; k < n; k += 3) emit_to(digits[k]);
      emit_to(run_end);
    }
    digits.clear();
  }
  emit_to(piece.end);
}

}  // namespace shimmy
