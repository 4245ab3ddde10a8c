// The bounded walk: depth, hidden folders, symlinks followed once, loops,
// unreadable folders, dangling links.
#include "discovery/walk.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/fixtures.h"

namespace shimmy::discovery {
namespace {

namespace fs = std::filesystem;

void Touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

std::vector<std::string> Relative(const WalkOutcome& w, const fs::path& root) {
  std::vector<std::string> out;
  for (const FileStat& f : w.files)
    out.push_back(fs::path(f.path).lexically_relative(root).string());
  return out;
}

class WalkTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::TempDir("discovery-walk"); }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_ / "locked", fs::perms::owner_all, ec);
    fs::remove_all(root_);
  }
  fs::path root_;
};

TEST_F(WalkTest, CollectsGgufNamesOnlySortedAndBounded) {
  Touch(root_ / "b.gguf");
  Touch(root_ / "A.GGUF");
  Touch(root_ / "notes.txt");
  Touch(root_ / "x.gguf.part");
  Touch(root_ / "d1/d2/d3/deep.gguf");
  Touch(root_ / "d1/d2/d3/d4/too-deep.gguf");
  Touch(root_ / ".git/objects/x.gguf");
  Touch(root_ / ".hidden.gguf");
  Touch(root_ / "node_modules/pkg/y.gguf");
  Touch(root_ / ".cache/kept.gguf");
  WalkLimits limits;
  limits.max_depth = 3;
  const WalkOutcome w = WalkForGguf(root_.string(), limits);
  EXPECT_EQ(w.root_status, PlaceStatus::kFound);
  EXPECT_EQ(Relative(w, root_), (std::vector<std::string>{".cache/kept.gguf", "A.GGUF", "b.gguf",
                                                          "d1/d2/d3/deep.gguf"}));
  EXPECT_TRUE(w.problems.empty());
  EXPECT_EQ(w.files[2].size, 1u);
}

TEST_F(WalkTest, MissingRootAndFileRoot) {
  EXPECT_EQ(WalkForGguf((root_ / "absent").string(), {}).root_status, PlaceStatus::kMissing);
  Touch(root_ / "file");
  EXPECT_EQ(WalkForGguf((root_ / "file").string(), {}).root_status, PlaceStatus::kUnreadable);
}

TEST_F(WalkTest, SymlinkLoopsTerminateAndAreReported) {
  Touch(root_ / "a/m.gguf");
  fs::create_directory_symlink("..", root_ / "a/up");
  fs::create_directory_symlink(root_ / "a", root_ / "a/self");
  fs::create_directory_symlink(root_ / "elsewhere", root_ / "dangling");
  fs::create_symlink(root_ / "nothing.gguf", root_ / "dangling.gguf");
  const WalkOutcome w = WalkForGguf(root_.string(), {});
  EXPECT_EQ(Relative(w, root_), (std::vector<std::string>{"a/m.gguf"}));
  ASSERT_EQ(w.problems.size(), 3u);
  EXPECT_EQ(w.problems[0].message, "symlink loop, not followed");
  EXPECT_EQ(fs::path(w.problems[0].path).filename(), "self");
  EXPECT_EQ(w.problems[1].message, "symlink loop, not followed");
  EXPECT_EQ(w.problems[2].message, "dangling symlink");
}

TEST_F(WalkTest, FolderLinksAreFollowedOnce) {
  const fs::path outside = testing::TempDir("discovery-walk-outside");
  Touch(outside / "one/inner.gguf");
  Touch(outside / "two/far.gguf");
  fs::create_directory_symlink(outside / "two", outside / "one/link2");
  fs::create_directory_symlink(outside / "one", root_ / "link1");
  fs::create_symlink(outside / "two/far.gguf", root_ / "file-link.gguf");
  const WalkOutcome w = WalkForGguf(root_.string(), {});
  // link1 is followed; link2 (a link inside a linked folder) is not.
  EXPECT_EQ(Relative(w, root_), (std::vector<std::string>{"file-link.gguf", "link1/inner.gguf"}));
  fs::remove_all(outside);
}

TEST_F(WalkTest, UnreadableFolderIsAProblemNotAFailure) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root: chmod 000 does not stop root from reading a folder";
  }
  Touch(root_ / "locked/secret.gguf");
  Touch(root_ / "open.gguf");
  fs::permissions(root_ / "locked", fs::perms::none);
  const WalkOutcome w = WalkForGguf(root_.string(), {});
  EXPECT_EQ(Relative(w, root_), (std::vector<std::string>{"open.gguf"}));
  ASSERT_EQ(w.problems.size(), 1u);
  EXPECT_EQ(w.problems[0].message, "cannot read folder: Permission denied");
  EXPECT_EQ(WalkForGguf((root_ / "locked").string(), {}).root_status, PlaceStatus::kUnreadable);
}

TEST_F(WalkTest, EntryCapStopsTheWalk) {
  for (int i = 0; i < 20; ++i) Touch(root_ / ("f" + std::to_string(i) + ".gguf"));
  WalkLimits limits;
  limits.max_entries = 5;
  const WalkOutcome w = WalkForGguf(root_.string(), limits);
  EXPECT_EQ(w.files.size(), 5u);
  ASSERT_EQ(w.problems.size(), 1u);
  EXPECT_EQ(w.problems[0].message, "stopped after 5 entries");
}

}  // namespace
}  // namespace shimmy::discovery
