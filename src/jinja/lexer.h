// Splits template source into tokens: literal text between tags, and the
// names, literals and operators inside {{ }} and {% %}. Comments vanish and
// raw blocks become text. Whitespace control follows jinja2 configured as
// Hugging Face does (trim_blocks, lstrip_blocks, keep_trailing_newline off),
// plus explicit {%- -%} / {{- -}} / {#- -#} and {%+ / +%} markers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace shimmy::jinja {

enum class TokenKind : uint8_t {
  kText,        // literal template text (already whitespace-trimmed)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,  // text holds the unescaped value
  kInt,
  kFloat,
  kOperator,  // text holds the operator, e.g. "//" or "("
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0.0;
  int line = 1;
  int column = 1;
};

// Tokenizes a whole template. Errors name the line and column.
Result<std::vector<Token>> Tokenize(std::string_view source);

}  // namespace shimmy::jinja
