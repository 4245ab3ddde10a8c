#include "discovery/walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace shimmy::discovery {
namespace {

using DevIno = std::pair<uint64_t, uint64_t>;

constexpr std::array<std::string_view, 3> kHiddenAllowed = {".cache", ".ollama", ".lmstudio"};
constexpr std::array<std::string_view, 6> kSkippedNames = {
    "node_modules",  "__pycache__", "lost+found", "$RECYCLE.BIN", "System Volume Information",
    "site-packages",
};

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

FileStat ToFileStat(std::string path, const struct stat& st) {
  return {std::move(path), static_cast<uint64_t>(st.st_size), MtimeNs(st),
          static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

class Walker {
 public:
  Walker(const WalkLimits& limits, WalkOutcome& out) : limits_(limits), out_(out) {}

  // Returns false when the folder could not be opened.
  bool Folder(const std::string& path, int depth, bool via_link, const struct stat& st) {
    const DevIno id{st.st_dev, st.st_ino};
    if (!visited_.insert(id).second) return true;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      const std::string why = std::strerror(errno);
      if (depth == 0) {
        out_.root_error = why;
      } else {
        out_.problems.push_back({path, "cannot read folder: " + why});
      }
      return false;
    }
    struct Item {
      std::string name;
      unsigned char type;
    };
    std::vector<Item> items;
    while (const dirent* e = ::readdir(dir)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      if (++n_entries_ > limits_.max_entries) {
        if (!stopped_)
          out_.problems.push_back(
              {path, "stopped after " + std::to_string(limits_.max_entries) + " entries"});
        stopped_ = true;
        break;
      }
      items.push_back({std::string(name), e->d_type});
    }
    ::closedir(dir);
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.name < b.name; });

    ancestors_.push_back(id);
    for (const Item& item : items) {
      Entry(path + "/" + item.name, item.name, item.type, depth, via_link);
    }
    ancestors_.pop_back();
    return true;
  }

 private:
  void Entry(const std::string& path, std::string_view name, unsigned char type, int depth,
             bool via_link) {
    const bool gguf = HasGgufExtension(name);
    if (type == DT_REG && !gguf) return;  // the common case: no syscall at all
    if (type == DT_DIR && (depth + 1 > limits_.max_depth || IsSkippedFolderName(name))) return;
    if (name.front() == '.' && type != DT_DIR && type != DT_LNK && type != DT_UNKNOWN) return;

    const bool is_link = type == DT_LNK || (type == DT_UNKNOWN && IsLink(path));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (is_link && gguf) out_.problems.push_back({path, "dangling symlink"});
      return;
    }
    if (S_ISREG(st.st_mode)) {
      if (gguf && name.front() != '.') out_.files.push_back(ToFileStat(path, st));
      return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    if (depth + 1 > limits_.max_depth || IsSkippedFolderName(name)) return;
    if (is_link) {
      const DevIno id{st.st_dev, st.st_ino};
      if (std::find(ancestors_.begin(), ancestors_.end(), id) != ancestors_.end()) {
        out_.problems.push_back({path, "symlink loop, not followed"});
        return;
      }
      if (via_link) return;  // links are followed once
    }
    if (stopped_) return;
    Folder(path, depth + 1, via_link || is_link, st);
  }

  static bool IsLink(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  }

  const WalkLimits& limits_;
  WalkOutcome& out_;
  std::set<DevIno> visited_;
  std::vector<DevIno> ancestors_;
  size_t n_entries_ = 0;
  bool stopped_ = false;
};

}  // namespace

bool HasGgufExtension(std::string_view name) {
  if (name.size() < 5) return false;
  const std::string_view ext = name.substr(name.size() - 5);
  static constexpr std::string_view kExt = ".gguf";
  for (size_t i = 0; i < 5; ++i) {
    const char c = ext[i] >= 'A' && ext[i] <= 'Z' ? static_cast<char>(ext[i] - 'A' + 'a') : ext[i];
    if (c != kExt[i]) return false;
  }
  return true;
}

bool IsSkippedFolderName(std::string_view name) {
  if (!name.empty() && name.front() == '.') {
    return std::find(kHiddenAllowed.begin(), kHiddenAllowed.end(), name) == kHiddenAllowed.end();
  }
  return std::find(kSkippedNames.begin(), kSkippedNames.end(), name) != kSkippedNames.end();
}

std::optional<FileStat> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return ToFileStat(path, st);
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

WalkOutcome WalkForGguf(const std::string& root, const WalkLimits& limits) {
  WalkOutcome out;
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    out.root_status =
        errno == ENOENT || errno == ENOTDIR ? PlaceStatus::kMissing : PlaceStatus::kUnreadable;
    out.root_error = std::strerror(errno);
    return out;
  }
  if (!S_ISDIR(st.st_mode)) {
    out.root_status = PlaceStatus::kUnreadable;
    out.root_error = "not a folder";
    return out;
  }
  Walker walker(limits, out);
  out.root_status =
      walker.Folder(root, 0, false, st) ? PlaceStatus::kFound : PlaceStatus::kUnreadable;
  std::sort(out.files.begin(), out.files.end(),
            [](const FileStat& a, const FileStat& b) { return a.path < b.path; });
  return out;
}

}  // namespace shimmy::discovery
