// Helpers shared by the grammar tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sampling/grammar.h"
#include "sampling/grammar_matcher.h"

namespace shimmy::testing {

inline std::shared_ptr<const Grammar> MustParse(std::string_view text) {
  auto g = Grammar::Parse(text);
  EXPECT_TRUE(g.ok()) << g.error().message() << "\n" << text;
  return g.ok() ? *g : nullptr;
}

// Whether `text` is a whole sentence of `g`.
inline bool Matches(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  auto m = GrammarMatcher::Create(g);
  if (!m.ok()) return false;
  return m->Accept(text).ok() && m->IsComplete();
}

// Whether `text` can be continued to a sentence of `g`.
inline bool IsPrefix(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  auto m = GrammarMatcher::Create(g);
  return m.ok() && m->Accept(text).ok();
}

}  // namespace shimmy::testing
