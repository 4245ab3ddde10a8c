#include "tokenizer/string_table.h"

#include <gtest/gtest.h>

#include <string>

namespace shimmy {
namespace {

TEST(StringTable, HoldsStringsInOrderAndFindsTheFirstOfEqualOnes) {
  StringTable t{"a", "", "bc", "a", std::string_view("x\0y", 3)};
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0], "a");
  EXPECT_EQ(t[1], "");
  EXPECT_EQ(t[2], "bc");
  EXPECT_EQ(t[4], std::string_view("x\0y", 3));
  EXPECT_EQ(t.Find("a"), 0);
  EXPECT_EQ(t.Find(""), 1);
  EXPECT_EQ(t.Find("bc"), 2);
  EXPECT_EQ(t.Find(std::string_view("x\0y", 3)), 4);
  EXPECT_EQ(t.Find("x"), -1);
  EXPECT_EQ(t.Find("b"), -1);
  EXPECT_EQ(t.total_bytes(), 7u);
}

TEST(StringTable, IndexStaysRightAcrossGrowth) {
  // Past several rehashes, with and without Reserve; strings of every
  // length from 0 to 40 exercise the hash's tail handling.
  for (bool reserve : {false, true}) {
    StringTable t;
    constexpr int kN = 5000;
    if (reserve) t.Reserve(kN, kN * 10);
    for (int i = 0; i < kN; ++i) {
      t.push_back(std::string(static_cast<size_t>(i % 41), 'q') + std::to_string(i));
    }
    for (int i = 0; i < kN; ++i) {
      const std::string s = std::string(static_cast<size_t>(i % 41), 'q') + std::to_string(i);
      ASSERT_EQ(t.Find(s), i) << s;
      ASSERT_EQ(t[static_cast<size_t>(i)], s);
    }
    EXPECT_EQ(t.Find("q"), -1);
  }
}

TEST(StringTable, UnindexedTableFindsNothingAndHasNoIndex) {
  StringTable t(StringTable::Indexed::kNo);
  for (int i = 0; i < 1000; ++i) t.push_back(std::to_string(i));
  EXPECT_EQ(t[999], "999");
  EXPECT_EQ(t.Find("5"), -1);
  // Text plus offsets only: 2890 digits and 1001 four-byte offsets, with
  // some slack for growth.
  EXPECT_LT(t.MemoryBytes(), 2 * (2890 + 1001 * 4));
}

TEST(StringTable, AVocabularySizedTableIsCompact) {
  // 128k short strings as a tokenizer holds them: text, offsets and a
  // half-full index of 8-byte slots. vector<string> alone would be 4 MB.
  StringTable t;
  constexpr size_t kN = 128000;
  size_t bytes = 0;
  for (size_t i = 0; i < kN; ++i) bytes += 3 + std::to_string(i).size();
  t.Reserve(kN, bytes);
  for (size_t i = 0; i < kN; ++i) t.push_back("tok" + std::to_string(i));
  EXPECT_EQ(t.Find("tok127999"), 127999);
  const size_t expected = t.total_bytes() + (kN + 1) * 4 + 262144 * 8;
  EXPECT_LE(t.MemoryBytes(), expected + expected / 10);
}

}  // namespace
}  // namespace shimmy
