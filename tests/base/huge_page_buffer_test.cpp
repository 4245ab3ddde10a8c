#include "base/huge_page_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace shimmy {
namespace {

TEST(HugePageBuffer, EmptyRequestOwnsNothing) {
  auto buf = HugePageBuffer::Allocate(0);
  ASSERT_TRUE(buf.ok());
  EXPECT_EQ(buf->data(), nullptr);
  EXPECT_EQ(buf->size(), 0u);
  EXPECT_EQ(buf->HugeBytes(), 0u);
}

TEST(HugePageBuffer, RoundsUpToAlignedZeroedHugePages) {
  const size_t want = HugePageBuffer::kHugePage + 123;
  auto buf = HugePageBuffer::Allocate(want);
  ASSERT_TRUE(buf.ok()) << buf.error().message();
  EXPECT_EQ(buf->size(), 2 * HugePageBuffer::kHugePage);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf->data()) % HugePageBuffer::kHugePage, 0u);
  // Fresh anonymous memory reads as zero, and every byte is writable.
  for (size_t i = 0; i < buf->size(); i += 4096) ASSERT_EQ(buf->data()[i], std::byte{0}) << i;
  std::memset(buf->data(), 0x5a, buf->size());
  EXPECT_EQ(buf->data()[buf->size() - 1], std::byte{0x5a});
  EXPECT_LE(buf->HugeBytes(), buf->size());
}

TEST(HugePageBuffer, GetsHugePagesWhereTheKernelOffersThem) {
  if (!TransparentHugePagesAvailable()) GTEST_SKIP() << "transparent huge pages are off here";
  auto buf = HugePageBuffer::Allocate(8 * HugePageBuffer::kHugePage);
  ASSERT_TRUE(buf.ok());
  std::memset(buf->data(), 1, buf->size());
  // The kernel may lack free 2 MiB frames, so not every page must be huge,
  // but on an otherwise idle test machine some are; this catches a lost
  // madvise or a misaligned start.
  std::printf("[ huge     ] %zu of %zu bytes in huge pages\n", buf->HugeBytes(), buf->size());
  EXPECT_GT(buf->HugeBytes(), 0u);
}

TEST(HugePageBuffer, MoveTransfersOwnership) {
  auto a = HugePageBuffer::Allocate(100);
  ASSERT_TRUE(a.ok());
  std::byte* p = a->data();
  p[7] = std::byte{42};
  HugePageBuffer b = std::move(a).value();
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.data()[7], std::byte{42});
  HugePageBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(b.data(), nullptr);  // NOLINT(bugprone-use-after-move): checks the moved-from state
  EXPECT_EQ(b.size(), 0u);
}

TEST(HugePageBuffer, ReportsAvailableMemory) {
  // Every Linux since 3.14 has MemAvailable; the test machines have GiBs.
  EXPECT_GT(AvailableMemoryBytes(), size_t{64} << 20);
}

}  // namespace
}  // namespace shimmy
