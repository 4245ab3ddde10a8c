// Builds the statement tree of a template from its tokens, with jinja2's
// grammar and operator precedence. Besides syntax it checks, as jinja2's
// compiler does, that every filter and test named outside an {% if %} or an
// inline `a if b else c` exists (inside those, unknown names fail only when
// evaluated).
#pragma once

#include <vector>

#include "base/result.h"
#include "jinja/ast.h"
#include "jinja/lexer.h"

namespace shimmy::jinja {

// Deepest nesting of expressions or blocks the parser accepts (a chain like
// a + b + c nests one level per operator).
inline constexpr int kMaxParseDepth = 256;

Result<Body> Parse(std::vector<Token> tokens);

}  // namespace shimmy::jinja
