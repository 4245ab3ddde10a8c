#include "kv/kv_cache.h"

#include <gtest/gtest.h>

namespace shimmy {
namespace {

std::unique_ptr<KvCache> Make(int n_cells) {
  KvShape shape{2, {8, 8}, {4, 4}};
  auto kv = KvCache::Create(shape, n_cells);
  EXPECT_TRUE(kv.ok());
  return std::move(kv).value();
}

TEST(KvCache, PlacesAndSeesOnlyItsOwnSequence) {
  auto kv = Make(8);
  std::vector<SeqId> seqs{0, 0, 1, 0};
  std::vector<int32_t> pos{0, 1, 0, 2};
  auto cells = kv->Place(seqs, pos);
  ASSERT_TRUE(cells.ok());
  EXPECT_EQ(kv->n_used(), 4);
  std::vector<int> vis;
  kv->Visible(0, 1, 0, vis);
  ASSERT_EQ(vis.size(), 2u);
  EXPECT_EQ(kv->CellPos(vis[0]), 0);
  EXPECT_EQ(kv->CellPos(vis[1]), 1);
  kv->Visible(1, 5, 0, vis);
  EXPECT_EQ(vis.size(), 1u);
  EXPECT_EQ(kv->SeqLength(0), 3);
  EXPECT_EQ(kv->SeqLength(1), 1);
}

TEST(KvCache, WindowDropsOldPositions) {
  auto kv = Make(16);
  std::vector<SeqId> seqs(10, 0);
  std::vector<int32_t> pos(10);
  for (int i = 0; i < 10; ++i) pos[static_cast<size_t>(i)] = i;
  ASSERT_TRUE(kv->Place(seqs, pos).ok());
  std::vector<int> vis;
  kv->Visible(0, 9, 4, vis);
  ASSERT_EQ(vis.size(), 4u);
  EXPECT_EQ(kv->CellPos(vis.front()), 6);
}

TEST(KvCache, FullCacheFailsWithoutClaiming) {
  auto kv = Make(3);
  std::vector<SeqId> seqs{0, 0, 0, 0};
  std::vector<int32_t> pos{0, 1, 2, 3};
  auto r = kv->Place(seqs, pos);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("full"), std::string::npos);
  EXPECT_EQ(kv->n_used(), 0);
}

TEST(KvCache, SharedPrefixSurvivesRemovalOfOneOwner) {
  auto kv = Make(8);
  std::vector<SeqId> seqs{0, 0, 0};
  std::vector<int32_t> pos{0, 1, 2};
  ASSERT_TRUE(kv->Place(seqs, pos).ok());
  kv->SharePrefix(0, 1, 2);
  EXPECT_EQ(kv->SeqLength(1), 2);
  kv->RemoveSeq(0);
  EXPECT_EQ(kv->n_used(), 2);  // the shared prefix stays for seq 1
  std::vector<int> vis;
  kv->Visible(1, 10, 0, vis);
  EXPECT_EQ(vis.size(), 2u);
  kv->RemoveSeq(1);
  EXPECT_EQ(kv->n_used(), 0);
}

TEST(KvCache, CellsStoreTheirRows) {
  auto kv = Make(4);
  std::vector<SeqId> seqs{0, 0};
  std::vector<int32_t> pos{0, 1};
  auto cells = kv->Place(seqs, pos);
  ASSERT_TRUE(cells.ok());
  for (int l = 0; l < 2; ++l) {
    for (int c : *cells) {
      for (int i = 0; i < 8; ++i) kv->K(l, c)[i] = static_cast<float>(l * 100 + c * 10 + i);
      for (int i = 0; i < 4; ++i) kv->V(l, c)[i] = static_cast<float>(-(l * 100 + c * 10 + i));
    }
  }
  EXPECT_EQ(kv->K(1, (*cells)[1])[7], 100.0f + (*cells)[1] * 10 + 7);
  EXPECT_EQ(kv->V(0, (*cells)[0])[3], -static_cast<float>((*cells)[0] * 10 + 3));
}

}  // namespace
}  // namespace shimmy
