// Python's binary operators and `in` on Values, with Python's results and
// TypeError messages (jinja2 evaluates template operators with Python's).
#pragma once

#include <cstddef>

#include "base/result.h"
#include "jinja/ast.h"
#include "jinja/value.h"

namespace shimmy::jinja {

// + - * / // % ** (not `~`, `and`, `or`). Results larger than `max_bytes`
// bytes or items are refused before they are built.
Result<Value> Arithmetic(BinaryOp op, const Value& a, const Value& b, size_t max_bytes);
// -x / +x.
Result<Value> UnaryArithmetic(UnaryOp op, const Value& v);
// `item in container`.
Result<bool> Contains(const Value& container, const Value& item);

}  // namespace shimmy::jinja
