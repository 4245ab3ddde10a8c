// One scan of every place a user keeps models (see environment.h for the
// places, naming.h for the names, classify.h for kinds).
//
//   FactCache cache;
//   cache.Load(CacheFilePath(env));
//   DiscoveryResult r = Discover(env, {}, cache);
//   cache.Save(CacheFilePath(env));
//
// Cost: one readdir per folder, one stat per *.gguf name, and a header
// parse only for files the cache has not seen at that size and mtime.
// Never fails: missing places, unreadable folders and broken files are
// reported in the result.
#pragma once

#include <string>
#include <vector>

#include "discovery/environment.h"
#include "discovery/fact_cache.h"
#include "discovery/model_entry.h"

namespace shimmy::discovery {

struct DiscoverOptions {
  std::vector<std::string> model_dirs;  // --model-dirs: replaces SHIMMY_MODEL_PATHS
  bool reread = false;                  // ignore cached facts (every header is read again)
};

struct DiscoveryResult {
  std::vector<Place> places;       // every place looked at, in search order
  std::vector<ModelEntry> models;  // every model (any kind but kNotAModel), in search order
  std::vector<Problem> problems;   // broken files, non-models, unreadable folders, loops
};

DiscoveryResult Discover(const Environment& env, const DiscoverOptions& options, FactCache& cache);

}  // namespace shimmy::discovery
