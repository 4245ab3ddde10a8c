#include "discovery/registry.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "discovery/naming.h"

namespace shimmy::discovery {

Registry::Registry(std::vector<ModelEntry> models) : models_(std::move(models)) {
  for (size_t i = 0; i < models_.size(); ++i) index_.emplace(ToLower(models_[i].name), i);
}

Status Registry::AddAlias(std::string_view alias, std::string_view target) {
  const std::string key = ToLower(alias);
  if (key.empty()) return Error("an alias cannot be empty");
  if (index_.count(key) != 0) {
    return Error("alias '" + std::string(alias) + "' is already a model name or alias");
  }
  auto model = Resolve(target);
  if (!model) return model.error().Context("alias '" + std::string(alias) + "'");
  const size_t i = static_cast<size_t>(*model - models_.data());
  index_.emplace(key, i);
  models_[i].aliases.push_back(key);
  return {};
}

std::vector<Problem> Registry::LoadAliasFile(const std::string& path) {
  std::vector<Problem> problems;
  std::ifstream in(path);
  if (!in) return problems;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    problems.push_back({path, std::string("malformed alias file: ") + e.what()});
    return problems;
  }
  if (!j.is_object()) {
    problems.push_back({path, "the alias file must be a JSON object {\"alias\": \"model\"}"});
    return problems;
  }
  for (const auto& [alias, target] : j.items()) {
    if (!target.is_string()) {
      problems.push_back({path, "alias '" + alias + "': the target must be a model name"});
      continue;
    }
    if (auto st = AddAlias(alias, target.get<std::string>()); !st) {
      problems.push_back({path, st.error().message()});
    }
  }
  return problems;
}

Result<const ModelEntry*> Registry::Resolve(std::string_view name) const {
  if (name.empty()) return Error("no model name given");
  if (auto it = index_.find(std::string(name)); it != index_.end()) return &models_[it->second];
  const std::string lower = ToLower(name);
  if (auto it = index_.find(lower); it != index_.end()) return &models_[it->second];

  const size_t slash = lower.rfind('/');
  const size_t colon = lower.rfind(':');
  const bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!has_tag) {
    if (auto it = index_.find(lower + ":latest"); it != index_.end()) return &models_[it->second];
  } else if (lower.ends_with(":latest")) {
    // Ollama clients add ":latest" to every bare name; a model with no tag answers to it.
    if (auto it = index_.find(lower.substr(0, colon)); it != index_.end()) {
      return &models_[it->second];
    }
  }

  std::set<size_t> hits;
  for (const auto& [key, i] : index_) {
    if (key.starts_with(lower)) hits.insert(i);
  }
  if (hits.size() == 1) return &models_[*hits.begin()];
  if (hits.empty()) {
    return Error("no model named '" + std::string(name) + "' (`shimmy list` shows the names)");
  }
  std::string list;
  for (size_t i : hits) list += (list.empty() ? "" : ", ") + models_[i].name;
  return Error("'" + std::string(name) + "' matches several models: " + list);
}

}  // namespace shimmy::discovery
