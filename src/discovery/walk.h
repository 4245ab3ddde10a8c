// A bounded, loop-proof folder walk that collects GGUF files.
//
// Bounds: `max_depth` folder levels below the root, `max_entries` directory
// entries in all. Skipped: hidden names (".git", ".venv", ...; but not
// ".cache", ".ollama", ".lmstudio") and a few system/tool folders
// (node_modules, __pycache__, lost+found). Symlinks: a link to a file is
// followed; a link to a folder is followed once (not from inside a folder
// already reached through a link), and no folder is entered twice (by
// device+inode), so loops cannot hang the walk. Only names ending in
// ".gguf" are collected (and stat'ed); nothing is opened. Unreadable
// folders and dangling links to .gguf names become problems.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/model_entry.h"

namespace shimmy::discovery {

struct FileStat {
  std::string path;  // as reached (links not resolved)
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t dev = 0;  // of the file itself, after following links
  uint64_t ino = 0;
};

struct WalkLimits {
  int max_depth = 5;
  size_t max_entries = 200'000;
};

struct WalkOutcome {
  PlaceStatus root_status = PlaceStatus::kMissing;  // found / missing / unreadable
  std::string root_error;
  std::vector<FileStat> files;  // sorted by path
  std::vector<Problem> problems;
};

WalkOutcome WalkForGguf(const std::string& root, const WalkLimits& limits);

// Stat following links; nullopt unless `path` is (or links to) a regular file.
std::optional<FileStat> StatFile(const std::string& path);
bool IsDirectory(const std::string& path);

bool HasGgufExtension(std::string_view name);  // case-insensitive
bool IsSkippedFolderName(std::string_view name);

}  // namespace shimmy::discovery
