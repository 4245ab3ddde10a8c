#include "base/mapped_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/fixtures.h"

namespace shimmy {
namespace {

TEST(MappedFile, MapsContents) {
  const auto dir = testing::TempDir("mapped");
  const auto path = (dir / "f.bin").string();
  std::ofstream(path, std::ios::binary) << "hello";
  auto f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.error().message();
  ASSERT_EQ(f->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data()), 5), "hello");
  MappedFile moved = std::move(f).value();
  EXPECT_EQ(moved.size(), 5u);
}

TEST(MappedFile, MissingFileNamesPath) {
  auto f = MappedFile::Open("/nonexistent/shimmy.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("/nonexistent/shimmy.gguf"), std::string::npos);
}

TEST(MappedFile, DirectoryIsRejected) {
  auto f = MappedFile::Open("/tmp");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("not a regular file"), std::string::npos);
}

TEST(MappedFile, EmptyFileMapsToNothing) {
  const auto dir = testing::TempDir("mapped-empty");
  const auto path = (dir / "empty").string();
  std::ofstream(path, std::ios::binary).flush();
  auto f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 0u);
}

}  // namespace
}  // namespace shimmy
