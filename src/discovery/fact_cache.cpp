#include "discovery/fact_cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace shimmy::discovery {
namespace {

constexpr int kCacheVersion = 1;

nlohmann::json ToJson(const FileStamp& stamp, const ModelFacts& f) {
  return {
      {"size", stamp.size},
      {"mtime_ns", stamp.mtime_ns},
      {"n_files", stamp.n_files},
      {"kind", KindName(f.kind)},
      {"arch", f.arch},
      {"name", f.general_name},
      {"params", f.n_params},
      {"quant", f.quant},
      {"context_length", f.context_length ? nlohmann::json(*f.context_length) : nlohmann::json()},
      {"base_model", f.base_model},
      {"problem", f.problem},
  };
}

void FromJson(const nlohmann::json& j, FileStamp& stamp, ModelFacts& f) {
  stamp.size = j.at("size").get<uint64_t>();
  stamp.mtime_ns = j.at("mtime_ns").get<int64_t>();
  stamp.n_files = j.at("n_files").get<uint32_t>();
  f.kind = KindFromName(j.at("kind").get<std::string>());
  f.arch = j.at("arch").get<std::string>();
  f.general_name = j.at("name").get<std::string>();
  f.n_params = j.at("params").get<uint64_t>();
  f.quant = j.at("quant").get<std::string>();
  const auto& ctx = j.at("context_length");
  if (!ctx.is_null()) f.context_length = ctx.get<uint64_t>();
  f.base_model = j.at("base_model").get<std::string>();
  f.problem = j.at("problem").get<std::string>();
}

}  // namespace

void FactCache::BeginScan() {
  for (auto& [path, slot] : slots_) slot.used = false;
}

const ModelFacts* FactCache::Find(const std::string& path, const FileStamp& stamp) {
  auto it = slots_.find(path);
  if (it == slots_.end() || !(it->second.stamp == stamp)) {
    ++n_misses_;
    return nullptr;
  }
  ++n_hits_;
  it->second.used = true;
  return &it->second.facts;
}

void FactCache::Put(const std::string& path, const FileStamp& stamp, ModelFacts facts) {
  slots_[path] = Slot{stamp, std::move(facts), true};
  dirty_ = true;
}

void FactCache::Load(const std::string& file) {
  std::ifstream in(file);
  if (!in) return;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.at("version").get<int>() != kCacheVersion) return;
    std::unordered_map<std::string, Slot> loaded;
    for (const auto& [path, value] : j.at("files").items()) {
      Slot slot;
      FromJson(value, slot.stamp, slot.facts);
      loaded.emplace(path, std::move(slot));
    }
    slots_ = std::move(loaded);
    dirty_ = false;
  } catch (const nlohmann::json::exception&) {
    // A damaged cache is rebuilt by the next scan.
  }
}

Status FactCache::Save(const std::string& file) {
  bool stale = false;
  for (const auto& [path, slot] : slots_) stale = stale || !slot.used;
  if (!dirty_ && !stale) return {};
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [path, slot] : slots_) {
    if (slot.used) files[path] = ToJson(slot.stamp, slot.facts);
  }
  const nlohmann::json j = {{"version", kCacheVersion}, {"files", files}};

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  const std::string tmp = file + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error(file + ": cannot write the discovery cache");
    out << j.dump();
    if (!out.flush()) return Error(file + ": cannot write the discovery cache");
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(tmp, ec);
    return Error(file + ": cannot write the discovery cache: " + why);
  }
  std::erase_if(slots_, [](const auto& kv) { return !kv.second.used; });
  dirty_ = false;
  return {};
}

}  // namespace shimmy::discovery
