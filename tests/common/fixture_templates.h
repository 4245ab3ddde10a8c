// The real chat templates of fixtures/templates, for tests parameterised by
// template: their names, and a gtest-safe test name for each.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "common/fixtures.h"

namespace shimmy::testing {

inline std::filesystem::path TemplatesDir() { return FixturesDir() / "templates"; }

// Stems of every *.jinja, sorted; {"none"} without fixtures so the
// parameterised test still exists and skips visibly.
inline std::vector<std::string> FixtureTemplateNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(TemplatesDir(), ec)) {
    if (entry.path().extension() == ".jinja") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) names.push_back("none");
  return names;
}

inline std::string TemplateTestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string id = info.param;
  for (char& ch : id) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return id;
}

}  // namespace shimmy::testing
