// The Hugging Face hub cache:
//   ROOT/models--ORG--NAME/refs/main                 the commit "main" points at
//   ROOT/models--ORG--NAME/snapshots/REV/FILE.gguf   symlinks into ../../blobs/
// Each repo is one pairing group. Files are taken from the revision
// refs/main names first, then from older revisions (newest first) for
// files the main revision lacks, so a file is listed once, at its newest
// downloaded version.
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "discovery/naming.h"
#include "discovery/scanners.h"

namespace shimmy::discovery {
namespace {

constexpr int kSnapshotDepth = 3;

int64_t FolderMtime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Snapshot revisions, refs/main first, then newest first.
std::vector<std::string> RevisionOrder(const std::string& repo, std::vector<std::string> revs) {
  std::string main;
  if (auto ref = ReadSmallFile(repo + "/refs/main", 256)) main = Trim(*ref);
  std::vector<std::pair<int64_t, std::string>> dated;
  for (std::string& r : revs) {
    if (r.starts_with(".")) continue;
    const int64_t t = r == main ? INT64_MAX : FolderMtime(repo + "/snapshots/" + r);
    dated.emplace_back(t, std::move(r));
  }
  std::sort(dated.begin(), dated.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (auto& [t, r] : dated) out.push_back(std::move(r));
  return out;
}

void ScanRepo(const std::string& repo_dir, const std::string& repo_name, size_t place_index,
              ScanOutput& out) {
  auto revs = ListFolder(repo_dir + "/snapshots");
  if (!revs) return;           // a repo without snapshots holds nothing usable yet
  std::set<std::string> seen;  // paths relative to the snapshot
  std::vector<FileStat> files;
  for (const std::string& rev : RevisionOrder(repo_dir, std::move(*revs))) {
    const std::string snap = repo_dir + "/snapshots/" + rev;
    WalkLimits limits;
    limits.max_depth = kSnapshotDepth;
    WalkOutcome walk = WalkForGguf(snap, limits);
    if (walk.root_status == PlaceStatus::kUnreadable) {
      out.problems.push_back({snap, "cannot read folder: " + walk.root_error});
    }
    for (Problem& p : walk.problems) out.problems.push_back(std::move(p));
    for (FileStat& f : walk.files) {
      if (seen.insert(f.path.substr(snap.size())).second) files.push_back(std::move(f));
    }
  }
  std::sort(files.begin(), files.end(),
            [](const FileStat& a, const FileStat& b) { return a.path < b.path; });
  AddFileCandidates(files, place_index, repo_dir, RepoBaseName(repo_name), out);
}

}  // namespace

ScanOutput ScanHfCache(const Place& place, size_t place_index) {
  ScanOutput out;
  if (!IsDirectory(place.path)) {
    out.status = PlaceStatus::kMissing;
    return out;
  }
  auto names = ListFolder(place.path);
  if (!names) {
    out.status = PlaceStatus::kUnreadable;
    out.detail = names.error().message();
    return out;
  }
  out.status = PlaceStatus::kFound;
  for (const std::string& name : *names) {
    static constexpr std::string_view kPrefix = "models--";
    if (!name.starts_with(kPrefix)) continue;  // datasets--, spaces--, .locks, version.txt
    const std::string rest = name.substr(kPrefix.size());
    const size_t sep = rest.find("--");
    const std::string repo = sep == std::string::npos ? rest : rest.substr(sep + 2);
    const std::string dir = place.path + "/" + name;
    if (!IsDirectory(dir)) continue;
    ScanRepo(dir, repo, place_index, out);
  }
  return out;
}

}  // namespace shimmy::discovery
