// Python's jinja2, configured as Hugging Face's apply_chat_template does, as a
// reference for differential tests. Needs `python3` with jinja2 on PATH
// (Debian: python3-jinja2); tests skip when it is missing.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shimmy::jinja::testing {

struct OracleSample {
  std::string source;
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
};

struct OracleResult {
  bool ok = false;
  std::string output;      // when ok
  std::string error_type;  // Python exception class, when !ok
  std::string error;       // str(exception), when !ok
};

// True when python3 can import jinja2.
bool PythonJinjaAvailable();

// Renders all samples in one python3 process; nullopt if it could not run.
std::optional<std::vector<OracleResult>> RenderWithPython(const std::vector<OracleSample>& samples);

}  // namespace shimmy::jinja::testing
