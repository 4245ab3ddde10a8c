// StreamReadChecksum against a plain byte sum on every Highway target, over
// odd lengths and unaligned starts; MeasureReadBandwidth reads everything
// and reports a rate.
#include "kernels/stream_read.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <vector>

#include "target_test_util.h"

namespace shimmy {
namespace {

uint64_t ScalarSum(const std::byte* p, size_t n) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<uint8_t>(p[i]);
  return sum;
}

std::vector<std::byte> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> bytes(n);
  for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xff);
  return bytes;
}

class StreamReadTest : public testing::PerTargetTest {};

TEST_P(StreamReadTest, ChecksumIsTheByteSum) {
  const std::vector<std::byte> bytes = RandomBytes(20000, 7);
  for (size_t offset : {0, 1, 3, 7, 31, 63}) {
    for (size_t n : {0, 1, 7, 31, 32, 33, 127, 128, 129, 1000, 4095, 4097, 19000}) {
      EXPECT_EQ(StreamReadChecksum(bytes.data() + offset, n), ScalarSum(bytes.data() + offset, n))
          << "offset " << offset << " n " << n;
    }
  }
}

TEST_P(StreamReadTest, AllOnesBytesDoNotSaturate) {
  // 0xff everywhere: a narrower accumulator would overflow.
  const std::vector<std::byte> bytes(1 << 20, std::byte{0xff});
  EXPECT_EQ(StreamReadChecksum(bytes.data() + 5, bytes.size() - 5), 255ull * (bytes.size() - 5));
}

SHIMMY_INSTANTIATE_PER_TARGET(StreamReadTest);

TEST(MeasureReadBandwidth, ReadsEveryPageOnce) {
  const std::vector<std::byte> bytes = RandomBytes(3 * 4096 + 100, 9);
  std::atomic<int64_t> pages{0}, calls{0};
  // Cuts the pages into ranges of 2, like a two-thread pool would, and
  // counts what the measurement asks for.
  const ParallelFor par = [&](int64_t n, const RangeFn& fn) {
    pages += n;
    for (int64_t b = 0; b < n; b += 2) {
      ++calls;
      fn(b, std::min(n, b + 2));
    }
  };
  const double bps = MeasureReadBandwidth(bytes.data(), bytes.size(), par, 3);
  EXPECT_GT(bps, 0.0);
  EXPECT_EQ(pages.load(), 3 * 4);  // 4 pages (the last partial) per pass
  EXPECT_EQ(calls.load(), 3 * 2);
}

TEST(MeasureReadBandwidth, NothingToReadIsZero) {
  const std::vector<std::byte> bytes(64);
  EXPECT_EQ(MeasureReadBandwidth(bytes.data(), 0, SerialFor, 3), 0.0);
  EXPECT_EQ(MeasureReadBandwidth(bytes.data(), bytes.size(), SerialFor, 0), 0.0);
  EXPECT_GT(MeasureReadBandwidth(bytes.data(), bytes.size(), SerialFor, 1), 0.0);
}

}  // namespace
}  // namespace shimmy
