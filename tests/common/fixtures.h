// Locating ../shared/fixtures from tests. SHIMMY_FIXTURES overrides the
// default (the shared/ folder beside the repository). Tests that need the
// fixtures call SHIMMY_REQUIRE_FIXTURES(), which skips with a visible
// message where the folder is absent (a user's fresh clone).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <string>
#include <unistd.h>

namespace shimmy::testing {

inline std::filesystem::path FixturesDir() {
  if (const char* env = std::getenv("SHIMMY_FIXTURES"); env != nullptr && *env != '\0') {
    return env;
  }
  return SHIMMY_DEFAULT_FIXTURES;
}

inline bool HaveFixtures() { return std::filesystem::is_directory(FixturesDir() / "models"); }

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The directories TempDir made in this process, removed when it exits. A
// test run used to leave them behind: a few hundred MB per run (converted
// models), enough over many runs to fill a CI machine's disk.
class TempDirRegistry {
 public:
  static TempDirRegistry& Instance() {
    static TempDirRegistry registry;
    return registry;
  }
  void Add(const std::filesystem::path& dir) {
    std::lock_guard lock(mutex_);
    dirs_.insert(dir);
  }
  ~TempDirRegistry() {
    std::error_code ignored;
    for (const auto& dir : dirs_) std::filesystem::remove_all(dir, ignored);
  }

 private:
  TempDirRegistry() = default;
  std::mutex mutex_;
  std::set<std::filesystem::path> dirs_;
};

// A fresh empty directory under the system temp dir, for files a test writes.
// It is removed when the test process exits normally.
inline std::filesystem::path TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("shimmy-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  TempDirRegistry::Instance().Add(dir);
  return dir;
}

}  // namespace shimmy::testing

#define SHIMMY_REQUIRE_FIXTURES()                                                        \
  do {                                                                                   \
    if (!::shimmy::testing::HaveFixtures()) {                                            \
      GTEST_SKIP() << "fixtures not found at " << ::shimmy::testing::FixturesDir()       \
                   << " (set SHIMMY_FIXTURES); skipping";                                \
    }                                                                                    \
  } while (0)
