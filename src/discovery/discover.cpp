#include "discovery/discover.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "discovery/classify.h"
#include "discovery/naming.h"
#include "discovery/scanners.h"

namespace shimmy::discovery {
namespace {

std::string RealPath(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::canonical(path, ec);
  return ec ? std::string() : p.string();
}

FileStamp StampOf(const Candidate& c) {
  FileStamp s;
  s.n_files = static_cast<uint32_t>(c.shards.size());
  for (const FileStat& f : c.shards) {
    s.size += f.size;
    s.mtime_ns = std::max(s.mtime_ns, f.mtime_ns);
  }
  return s;
}

ScanOutput ScanPlace(const Place& place, size_t index) {
  switch (place.kind) {
    case PlaceKind::kFolder:
    case PlaceKind::kLmStudio:
      return ScanFolder(place, index);
    case PlaceKind::kFile:
      return ScanFile(place, index);
    case PlaceKind::kHfCache:
      return ScanHfCache(place, index);
    case PlaceKind::kOllama:
      return ScanOllama(place, index);
  }
  return {};
}

// Ollama names first (people chose them), then file names in search order.
void AssignNames(std::vector<ModelEntry>& models, const std::vector<Candidate*>& from) {
  std::vector<size_t> order;
  for (size_t i = 0; i < models.size(); ++i) {
    if (!from[i]->explicit_name.empty()) order.push_back(i);
  }
  for (size_t i = 0; i < models.size(); ++i) {
    if (from[i]->explicit_name.empty()) order.push_back(i);
  }
  std::vector<std::string> wanted;
  for (size_t i : order) {
    const Candidate& c = *from[i];
    if (!c.explicit_name.empty()) {
      wanted.push_back(c.explicit_name);
    } else {
      const std::string file = std::filesystem::path(c.shards[0].path).filename().string();
      wanted.push_back(JoinName(NameFromFile(file, c.fallback)));
    }
  }
  const std::vector<std::string> names = MakeUnique(wanted);
  for (size_t k = 0; k < order.size(); ++k) models[order[k]].name = names[k];
}

std::string ModelPart(const std::string& name) {
  const size_t colon = name.rfind(':');
  return colon == std::string::npos ? name : name.substr(0, colon);
}

void PairProjectors(std::vector<ModelEntry>& models, const std::vector<std::string>& groups) {
  for (size_t m = 0; m < models.size(); ++m) {
    if (models[m].facts.kind != ModelKind::kMmproj) continue;
    for (size_t i = 0; i < models.size(); ++i) {
      ModelEntry& e = models[i];
      if (e.facts.kind != ModelKind::kLlm || groups[i] != groups[m] || !e.mmproj.empty()) continue;
      e.mmproj = models[m].path;
      if (models[m].base.empty()) models[m].base = e.name;
    }
  }
}

// A LoRA serves the models of its architecture that are named as its base
// (general.base_model.0.name against general.name or the model part of the
// name), else those in its folder; SHIMMY_LORA_GGUF serves SHIMMY_BASE_GGUF.
void PairAdapters(std::vector<ModelEntry>& models, const std::vector<std::string>& groups,
                  const Environment& env) {
  const std::string env_lora = RealPath(AbsolutePath(env, env.Get("SHIMMY_LORA_GGUF")));
  const std::string env_base = RealPath(AbsolutePath(env, env.Get("SHIMMY_BASE_GGUF")));
  for (size_t l = 0; l < models.size(); ++l) {
    ModelEntry& lora = models[l];
    if (lora.facts.kind != ModelKind::kLora) continue;
    const bool explicit_pair = !env_lora.empty() && RealPath(lora.path) == env_lora;
    const std::string wanted = ToLower(lora.facts.base_model);
    std::vector<size_t> by_env, by_name, by_folder;
    for (size_t i = 0; i < models.size(); ++i) {
      const ModelEntry& e = models[i];
      if (e.facts.kind != ModelKind::kLlm) continue;
      if (explicit_pair && !env_base.empty() && RealPath(e.path) == env_base) by_env.push_back(i);
      if (e.facts.arch != lora.facts.arch) continue;
      if (!wanted.empty() &&
          (ToLower(e.facts.general_name) == wanted || ModelPart(e.name) == SanitizeName(wanted))) {
        by_name.push_back(i);
      }
      if (groups[i] == groups[l]) by_folder.push_back(i);
    }
    const std::vector<size_t>& chosen = !by_env.empty()    ? by_env
                                        : !by_name.empty() ? by_name
                                                           : by_folder;
    for (size_t i : chosen) models[i].loras.push_back(lora.path);
    if (!chosen.empty()) lora.base = models[chosen.front()].name;
  }
}

}  // namespace

DiscoveryResult Discover(const Environment& env, const DiscoverOptions& options, FactCache& cache) {
  DiscoveryResult result;
  result.places = PlanPlaces(env, options.model_dirs);
  cache.BeginScan();

  std::vector<Candidate> candidates;
  std::map<std::string, size_t> real_places;  // real path -> first place
  for (size_t i = 0; i < result.places.size(); ++i) {
    Place& place = result.places[i];
    const std::string real = RealPath(place.path);
    if (!real.empty()) {
      auto [it, fresh] = real_places.emplace(real, i);
      if (!fresh) {
        place.status = PlaceStatus::kDuplicate;
        place.detail = "same as " + result.places[it->second].label;
        continue;
      }
    }
    ScanOutput out = ScanPlace(place, i);
    place.status = out.status;
    if (out.status != PlaceStatus::kMissing) place.detail = std::move(out.detail);
    for (Problem& p : out.problems) result.problems.push_back(std::move(p));
    for (Candidate& c : out.candidates) candidates.push_back(std::move(c));
  }

  // One entry per file on disk (first place wins), but one per Ollama
  // manifest, since several tags may share a blob.
  std::set<std::pair<uint64_t, uint64_t>> seen_files;
  std::vector<Candidate*> from;
  for (Candidate& c : candidates) {
    const FileStat& f = c.shards[0];
    if (c.explicit_name.empty() && !seen_files.insert({f.dev, f.ino}).second) continue;
    const FileStamp stamp = StampOf(c);
    const ModelFacts* cached = options.reread ? nullptr : cache.Find(f.path, stamp);
    ModelFacts facts = cached != nullptr ? *cached : ReadFacts(f.path);
    if (cached == nullptr) cache.Put(f.path, stamp, facts);
    if (facts.kind == ModelKind::kNotAModel) {
      result.problems.push_back({f.path, facts.problem});
      continue;
    }
    ModelEntry e;
    e.path = f.path;
    for (const FileStat& s : c.shards) e.shard_paths.push_back(s.path);
    e.source = result.places[c.place].source;
    e.place = result.places[c.place].path;
    e.size_bytes = stamp.size;
    e.facts = std::move(facts);
    e.ollama = c.ollama;
    e.mmproj = c.ollama_projector;
    e.loras = c.ollama_adapters;
    result.places[c.place].n_models++;
    result.models.push_back(std::move(e));
    from.push_back(&c);
  }

  AssignNames(result.models, from);
  std::vector<std::string> groups;
  for (const Candidate* c : from) groups.push_back(c->group);
  PairProjectors(result.models, groups);
  PairAdapters(result.models, groups, env);
  return result;
}

}  // namespace shimmy::discovery
