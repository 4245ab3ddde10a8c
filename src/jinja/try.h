// Early-return helpers for Result/Status inside the interpreter's .cpp files.
// Private to src/jinja; every use is a full statement of its own.
#pragma once

#define SHIMMY_JINJA_CONCAT_INNER(a, b) a##b
#define SHIMMY_JINJA_CONCAT(a, b) SHIMMY_JINJA_CONCAT_INNER(a, b)

// lhs = value of `expr` (a Result<T>), or return its error.
#define SHIMMY_JINJA_ASSIGN(lhs, expr) \
  SHIMMY_JINJA_ASSIGN_IMPL(SHIMMY_JINJA_CONCAT(jinja_result_, __LINE__), lhs, expr)
#define SHIMMY_JINJA_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp) return tmp.error();                  \
  lhs = std::move(*tmp)

// Returns the error of `expr` (a Status or Result) if it failed.
#define SHIMMY_JINJA_CHECK(expr)                                                   \
  do {                                                                             \
    if (auto jinja_status_ = (expr); !jinja_status_) return jinja_status_.error(); \
  } while (0)
