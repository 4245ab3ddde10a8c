// Helpers for the jinja unit tests: render a template string with a JSON
// context the way the fixtures do (fixed 2026-01-01 clock).
#pragma once

#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "jinja/template.h"

namespace shimmy::jinja::testing {

inline RenderOptions FixedClockOptions() {
  RenderOptions options;
  options.now = [] {
    std::tm tm{};
    tm.tm_year = 2026 - 1900;
    tm.tm_mday = 1;
    return tm;
  };
  return options;
}

// Parses and renders; a parse error comes back as the render error.
inline Result<std::string> RenderString(const std::string& source,
                                        const std::string& context_json = "{}",
                                        const RenderOptions& options = FixedClockOptions()) {
  auto tmpl = Template::Parse(source);
  if (!tmpl) return tmpl.error();
  return (*tmpl)->Render(nlohmann::ordered_json::parse(context_json), options);
}

// The rendered text, or "ERROR: message".
inline std::string Render(const std::string& source, const std::string& context_json = "{}") {
  auto r = RenderString(source, context_json);
  return r ? *r : "ERROR: " + r.error().message();
}

inline bool Fails(const std::string& source, const std::string& context_json = "{}") {
  return !RenderString(source, context_json).ok();
}

}  // namespace shimmy::jinja::testing
