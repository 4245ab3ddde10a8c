// Facts read from GGUF headers, remembered by path and keyed by size and
// modification time, so a rescan of an unchanged tree opens no file.
// Optionally persisted as one JSON file (~/.cache/shimmy/discovery.json) so
// that a fresh `shimmy list` process starts warm.
//
// Not thread-safe: one scan at a time owns the cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "discovery/model_entry.h"

namespace shimmy::discovery {

// Identifies one version of a (possibly split) model on disk.
struct FileStamp {
  uint64_t size = 0;     // all shards
  int64_t mtime_ns = 0;  // newest shard
  uint32_t n_files = 1;
  bool operator==(const FileStamp&) const = default;
};

class FactCache {
 public:
  // Call before each scan: entries not looked up during the scan are
  // dropped on Save.
  void BeginScan();

  // The cached facts when `path` was seen with the same stamp; nullptr
  // otherwise. Valid until the next Put.
  const ModelFacts* Find(const std::string& path, const FileStamp& stamp);
  void Put(const std::string& path, const FileStamp& stamp, ModelFacts facts);

  // Reads a cache file; a missing, unreadable or malformed file leaves the
  // cache as it was (it is only a cache).
  void Load(const std::string& file);
  // Writes the entries used since BeginScan (atomically, via a temporary
  // file), creating the folder; does nothing when nothing changed.
  Status Save(const std::string& file);

  size_t size() const { return slots_.size(); }
  size_t n_hits() const { return n_hits_; }
  size_t n_misses() const { return n_misses_; }

 private:
  struct Slot {
    FileStamp stamp;
    ModelFacts facts;
    bool used = false;
  };
  std::unordered_map<std::string, Slot> slots_;
  bool dirty_ = false;
  size_t n_hits_ = 0;
  size_t n_misses_ = 0;
};

}  // namespace shimmy::discovery
