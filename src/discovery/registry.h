// The model registry: discovered models by name, plus aliases.
//
// Resolve() accepts a registry name or alias and nothing else (a request can
// never name a file path). Matching, first rule that hits:
//   1. exact name or alias
//   2. case-insensitive
//   3. tag-less `model` -> `model:latest`, and `model:latest` -> a tag-less `model`
//   4. a prefix shared by exactly one model ("qwen2.5" -> "qwen2.5-0.5b-instruct:q4_k_m")
// An ambiguous prefix is an error listing the candidates.
//
// Immutable once built (aliases are added before sharing): const methods
// are safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "discovery/model_entry.h"

namespace shimmy::discovery {

class Registry {
 public:
  Registry() = default;
  // `models` must have unique names (Discover() guarantees it).
  explicit Registry(std::vector<ModelEntry> models);

  // Adds `alias` (e.g. "default") for the model `target` resolves to. An
  // alias cannot shadow a model name or another alias.
  Status AddAlias(std::string_view alias, std::string_view target);
  // Reads a JSON object {"alias": "model name", ...}. A missing file is not
  // an error; each alias that cannot be added is reported as a problem.
  std::vector<Problem> LoadAliasFile(const std::string& path);

  Result<const ModelEntry*> Resolve(std::string_view name) const;

  const std::vector<ModelEntry>& models() const { return models_; }

 private:
  std::vector<ModelEntry> models_;
  std::unordered_map<std::string, size_t> index_;  // lowercase names and aliases
};

}  // namespace shimmy::discovery
