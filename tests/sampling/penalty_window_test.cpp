#include "sampling/penalty_window.h"

#include <gtest/gtest.h>

namespace shimmy {
namespace {

int32_t Count(const PenaltyWindow& w, TokenId id) {
  auto it = w.counts().find(id);
  return it == w.counts().end() ? 0 : it->second;
}

TEST(PenaltyWindow, CountsOnlyTheLastNTokens) {
  PenaltyWindow w(3);
  for (TokenId t : {5, 5, 7, 9}) w.Push(t);  // window: 5 7 9
  EXPECT_EQ(Count(w, 5), 1);
  EXPECT_EQ(Count(w, 7), 1);
  EXPECT_EQ(Count(w, 9), 1);
  w.Push(9);  // window: 7 9 9
  EXPECT_EQ(Count(w, 5), 0);
  EXPECT_EQ(w.counts().count(5), 0u) << "evicted tokens leave the map";
  EXPECT_EQ(Count(w, 9), 2);
  EXPECT_EQ(w.size(), 3);
}

TEST(PenaltyWindow, ZeroDisablesAndNegativeKeepsEverything) {
  PenaltyWindow off(0);
  off.Push(1);
  EXPECT_TRUE(off.counts().empty());
  PenaltyWindow all(-1);
  for (int i = 0; i < 1000; ++i) all.Push(i % 10);
  EXPECT_EQ(Count(all, 3), 100);
  EXPECT_EQ(all.size(), 1000);
}

TEST(PenaltyWindow, ClearForgetsAndRefills) {
  PenaltyWindow w(2);
  w.Push(1);
  w.Push(2);
  w.Clear();
  EXPECT_TRUE(w.counts().empty());
  w.Push(3);
  w.Push(4);
  w.Push(5);
  EXPECT_EQ(Count(w, 3), 0);
  EXPECT_EQ(Count(w, 4), 1);
  EXPECT_EQ(Count(w, 5), 1);
}

}  // namespace
}  // namespace shimmy
