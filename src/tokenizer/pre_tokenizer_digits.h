// Linear-time stand-ins for two published digit-grouping regexes. Both end
// in a lookahead that scans to the end of the digit run, and a regex engine
// retries it from every digit, so a long number costs quadratic time (a
// 200k-digit string took minutes). These give the same pieces in one pass.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "tokenizer/pre_tokenizer.h"

namespace shimmy {

enum class DigitGrouping {
  // (?=(\d{3})+(?!\d)) (SuperBPE): empty matches that cut each run of
  // decimal digits before every group of three counted from its end.
  kCutBeforeGroups,
  // \d{1,3}(?=(?:\d{3})*\b) (Tiny Aya): the groups themselves, 1-3 digits
  // first then threes, for runs that end at a word boundary.
  kGroupsAtWordBoundary,
};

// The grouping `pattern` spells, if it is one of the two.
std::optional<DigitGrouping> DigitGroupingFor(std::string_view pattern);

// Appends the pieces of `text`[piece] exactly as splitting with the regex
// would (matches and the gaps between them, nothing empty). \d is a decimal
// digit (Nd) and \w a letter, number or '_', as in PCRE2 with UCP.
void SplitDigitGroups(DigitGrouping grouping, std::string_view text, TextSpan piece,
                      std::vector<TextSpan>& out);

}  // namespace shimmy
