// Plain folders, single files and the shared shard grouping.
#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "discovery/scanners.h"
#include "gguf/gguf_file.h"

namespace shimmy::discovery {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool LooksLikeOllamaStore(const std::string& root) {
  return IsDirectory(root + "/manifests") && IsDirectory(root + "/blobs");
}

bool LooksLikeHfCache(const std::string& root) {
  auto names = ListFolder(root);
  if (!names) return false;
  return std::any_of(names->begin(), names->end(),
                     [](const std::string& n) { return n.starts_with("models--"); });
}

}  // namespace

Result<std::vector<std::string>> ListFolder(const std::string& folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return Error(folder + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  // Only regular files: opening a FIFO or device could block the scan.
  if (!StatFile(path)) return Error(path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes)
      return Error(path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  return text;
}

void AddFileCandidates(const std::vector<FileStat>& files, size_t place_index,
                       const std::string& group, const std::string& fallback, ScanOutput& out) {
  std::map<std::string, const FileStat*> by_path;
  for (const FileStat& f : files) by_path.emplace(f.path, &f);
  for (const FileStat& f : files) {
    Candidate c;
    c.place = place_index;
    c.group = group.empty() ? Parent(f.path) : group;
    c.fallback = fallback.empty() ? BaseName(Parent(f.path)) : fallback;
    if (auto shards = gguf::SplitShardPaths(f.path)) {
      if ((*shards)[0] != f.path) {
        if (by_path.count((*shards)[0]) == 0) {
          out.problems.push_back({f.path, "a shard of a split model whose first shard is missing"});
        }
        continue;
      }
      bool complete = true;
      for (const std::string& s : *shards) {
        auto it = by_path.find(s);
        if (it == by_path.end()) {
          out.problems.push_back({f.path, "split model: shard " + BaseName(s) + " is missing"});
          complete = false;
          break;
        }
        c.shards.push_back(*it->second);
      }
      if (!complete) continue;
    } else {
      c.shards.push_back(f);
    }
    out.candidates.push_back(std::move(c));
  }
}

ScanOutput ScanFolder(const Place& place, size_t place_index) {
  if (IsDirectory(place.path) && place.kind == PlaceKind::kFolder) {
    if (LooksLikeOllamaStore(place.path)) return ScanOllama(place, place_index);
    if (LooksLikeHfCache(place.path)) return ScanHfCache(place, place_index);
  }
  WalkLimits limits;
  limits.max_depth = place.max_depth;
  WalkOutcome walk = WalkForGguf(place.path, limits);
  ScanOutput out;
  out.status = walk.root_status;
  if (walk.root_status != PlaceStatus::kFound) out.detail = walk.root_error;
  out.problems = std::move(walk.problems);
  AddFileCandidates(walk.files, place_index, "", "", out);
  return out;
}

ScanOutput ScanFile(const Place& place, size_t place_index) {
  ScanOutput out;
  auto st = StatFile(place.path);
  if (!st) {
    out.status = IsDirectory(place.path) ? PlaceStatus::kUnreadable : PlaceStatus::kMissing;
    out.detail = IsDirectory(place.path) ? "a folder, not a file" : "no such file";
    return out;
  }
  out.status = PlaceStatus::kFound;
  AddFileCandidates({*st}, place_index, "", "", out);
  return out;
}

}  // namespace shimmy::discovery
