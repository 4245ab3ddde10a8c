#include "kv/kv_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace shimmy {
namespace {

std::unique_ptr<KvCache> Make(int n_cells) {
  KvShape shape{.n_layer = 2, .k_dim = {8, 8}, .v_dim = {4, 4}, .n_heads = {}};
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

float* Floats(uint8_t* row) { return reinterpret_cast<float*>(row); }

TEST(KvCache, CellsStoreTheirRows) {
  auto kv = Make(4);
  std::vector<SeqId> seqs{0, 0};
  std::vector<int32_t> pos{0, 1};
  auto cells = kv->Place(seqs, pos);
  ASSERT_TRUE(cells.ok());
  EXPECT_EQ(kv->n_heads(0), 1);
  EXPECT_EQ(kv->k_head_bytes(0), 8 * sizeof(float));
  EXPECT_EQ(kv->v_head_bytes(1), 4 * sizeof(float));
  EXPECT_EQ(kv->cell_bytes(), 2 * 12 * sizeof(float));
  for (int l = 0; l < 2; ++l) {
    for (int c : *cells) {
      for (int i = 0; i < 8; ++i) Floats(kv->K(l, c))[i] = static_cast<float>(l * 100 + c * 10 + i);
      for (int i = 0; i < 4; ++i)
        Floats(kv->V(l, c))[i] = static_cast<float>(-(l * 100 + c * 10 + i));
    }
  }
  EXPECT_EQ(Floats(kv->K(1, (*cells)[1]))[7], 100.0f + (*cells)[1] * 10 + 7);
  EXPECT_EQ(Floats(kv->V(0, (*cells)[0]))[3], -static_cast<float>((*cells)[0] * 10 + 3));
}

// Rows take the bytes of their type, per layer, K and V each their own;
// each head's rows are adjacent, cell after cell, and every layer's rows
// stay inside one reservation without overlapping.
TEST(KvCache, EachHeadsRowsAreAdjacentInTheBytesOfTheirType) {
  KvShape shape{.n_layer = 2,
                .k_dim = {64, 128},
                .v_dim = {64, 32},
                .n_heads = {2, 2},
                .k_type = DType::kQ8_0,
                .v_type = DType::kF16};
  auto kv = KvCache::Create(shape, 3);
  ASSERT_TRUE(kv.ok()) << kv.error().message();
  const KvCache& c = **kv;
  EXPECT_EQ(c.k_type(), DType::kQ8_0);
  EXPECT_EQ(c.v_type(), DType::kF16);
  EXPECT_EQ(c.n_heads(1), 2);
  EXPECT_EQ(c.k_head_bytes(0), 34u);      // 32 values: one block
  EXPECT_EQ(c.k_head_bytes(1), 2 * 34u);  // 64 values
  EXPECT_EQ(c.v_head_bytes(0), 32 * 2u);
  EXPECT_EQ(c.v_head_bytes(1), 16 * 2u);
  EXPECT_EQ(c.cell_bytes(), 2 * (34u + 64) + 2 * (68u + 32));
  // Layer 0's K: head 0's three cells, then head 1's; then its V; then layer 1.
  EXPECT_EQ(c.K(0, 1, 0) - c.K(0, 0, 0), 34);
  EXPECT_EQ(c.K(0, 0, 1) - c.K(0, 0, 0), 3 * 34);
  EXPECT_EQ(c.K(0, 2, 1) - c.K(0, 0, 0), 5 * 34);
  EXPECT_EQ(c.V(0, 0, 0) - c.K(0, 0, 0), 2 * 3 * 34);
  EXPECT_EQ(c.K(1, 0, 0) - c.V(0, 0, 0), 2 * 3 * 64);
  EXPECT_EQ(c.V(1, 0, 0) - c.K(1, 0, 0), 2 * 3 * 68);
  EXPECT_EQ(c.V(1, 2, 1) - c.V(1, 0, 0), 5 * 32);
}

TEST(KvCache, RefusesTypesItCannotHold) {
  KvShape q4{.n_layer = 1, .k_dim = {64}, .v_dim = {64}, .n_heads = {}, .k_type = DType::kQ4_0};
  auto bad_type = KvCache::Create(q4, 4);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.error().message().find("Q4_0"), std::string::npos)
      << bad_type.error().message();
  // 64 values in two heads of 32 are whole Q8_0 blocks; 96 in two of 48
  // are not, and neither are 64 in three heads.
  KvShape whole{.n_layer = 1, .k_dim = {64}, .v_dim = {64}, .n_heads = {2}, .v_type = DType::kQ8_0};
  EXPECT_TRUE(KvCache::Create(whole, 4).ok());
  KvShape ragged{
      .n_layer = 1, .k_dim = {96}, .v_dim = {96}, .n_heads = {2}, .v_type = DType::kQ8_0};
  auto bad_rows = KvCache::Create(ragged, 4);
  ASSERT_FALSE(bad_rows.ok());
  EXPECT_NE(bad_rows.error().message().find(
                "Q8_0 V cache: this model's head dim 48 is not a multiple of 32"),
            std::string::npos)
      << bad_rows.error().message();
  KvShape thirds{.n_layer = 1, .k_dim = {64}, .v_dim = {64}, .n_heads = {3}};
  auto bad_split = KvCache::Create(thirds, 4);
  ASSERT_FALSE(bad_split.ok());
  EXPECT_NE(bad_split.error().message().find("do not split into 3 heads"), std::string::npos)
      << bad_split.error().message();
}

// The per-sequence cell lists are kept up to date incrementally; check them
// against a scan of every cell after a random mix of places (out of
// position order too), partial removals and shared prefixes.
TEST(KvCache, SequenceListsMatchAFullScan) {
  constexpr int kCells = 64, kSeqs = 4;
  auto kv = Make(kCells);
  std::mt19937 rng(7);
  std::vector<int32_t> next(kSeqs, 0);
  const auto scan = [&](SeqId seq, int32_t pos, int window) {
    // Reference: (position, cell) of every cell the sequence holds.
    std::vector<std::pair<int32_t, int>> all;
    for (int c = 0; c < kCells; ++c) {
      const int32_t p = kv->CellPos(c);
      if (p < 0 || p > pos || (window > 0 && p <= pos - window)) continue;
      const std::span<const int> cells = kv->SeqCells(seq);
      if (std::find(cells.begin(), cells.end(), c) != cells.end()) all.emplace_back(p, c);
    }
    std::sort(all.begin(), all.end());
    return all;
  };
  for (int step = 0; step < 400; ++step) {
    const SeqId seq = static_cast<SeqId>(rng() % kSeqs);
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      // Place a few positions, the last batch reversed.
      const int n = 1 + static_cast<int>(rng() % 3);
      if (kv->n_cells() - kv->n_used() < n) continue;
      std::vector<SeqId> seqs(static_cast<size_t>(n), seq);
      std::vector<int32_t> pos;
      for (int i = 0; i < n; ++i) pos.push_back(next[static_cast<size_t>(seq)]++);
      if (op == 5) std::reverse(pos.begin(), pos.end());
      ASSERT_TRUE(kv->Place(seqs, pos).ok());
    } else if (op < 8) {
      const int32_t from = static_cast<int32_t>(rng() % (next[static_cast<size_t>(seq)] + 1));
      kv->RemoveSeq(seq, from);
      next[static_cast<size_t>(seq)] = from;
    } else {
      const SeqId dst = static_cast<SeqId>((seq + 1) % kSeqs);
      kv->RemoveSeq(dst);
      const int32_t n_pos = static_cast<int32_t>(rng() % (next[static_cast<size_t>(seq)] + 1));
      kv->SharePrefix(seq, dst, n_pos);
      next[static_cast<size_t>(dst)] = n_pos;
    }
    int used = 0;
    for (int c = 0; c < kCells; ++c) used += kv->CellPos(c) >= 0;
    ASSERT_EQ(kv->n_used(), used) << "step " << step;
    for (SeqId s = 0; s < kSeqs; ++s) {
      ASSERT_EQ(kv->SeqLength(s), next[static_cast<size_t>(s)]) << "step " << step;
      const std::span<const int> cells = kv->SeqCells(s);
      ASSERT_EQ(static_cast<int32_t>(cells.size()), next[static_cast<size_t>(s)])
          << "step " << step;
      for (size_t i = 0; i < cells.size(); ++i) {
        ASSERT_EQ(kv->CellPos(cells[i]), static_cast<int32_t>(i)) << "step " << step;
      }
      const int32_t pos = next[static_cast<size_t>(s)] / 2;
      for (int window : {0, 3}) {
        const auto want = scan(s, pos, window);
        std::vector<int> vis;
        kv->Visible(s, pos, window, vis);
        ASSERT_EQ(vis.size(), want.size()) << "step " << step;
        for (size_t i = 0; i < vis.size(); ++i) EXPECT_EQ(vis[i], want[i].second);
      }
    }
  }
  kv->Clear();
  EXPECT_EQ(kv->n_used(), 0);
  EXPECT_TRUE(kv->SeqCells(0).empty());
}


TEST(KvCache, ClearFreesEveryCellAndPlacingStartsOver) {
  auto kv = Make(16);
  std::vector<SeqId> seqs{0, 1, 1, 2, 0};
  std::vector<int32_t> pos{0, 0, 1, 0, 1};
  ASSERT_TRUE(kv->Place(seqs, pos).ok());
  kv->RemoveSeq(1);  // a hole below the highest cell used
  kv->Clear();
  EXPECT_EQ(kv->n_used(), 0);
  for (int c = 0; c < kv->n_cells(); ++c) EXPECT_EQ(kv->CellPos(c), -1) << c;
  for (SeqId s = 0; s < 3; ++s) EXPECT_EQ(kv->SeqLength(s), 0);
  auto again = kv->Place(std::vector<SeqId>{3, 3}, std::vector<int32_t>{0, 1});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (std::vector<int>{0, 1}));
}

long ResidentKiB() {
  long pages_total = 0, pages_resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  const int got = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  return got == 2 ? pages_resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

TEST(KvCache, MemoryCommitsOnlyAsCellsAreUsed) {
  // 2M cells: 32 MiB of cell records and 384 MiB of rows, all reserved.
  // Only what the placed cells touch may become resident.
  const long before = ResidentKiB();
  if (before < 0) GTEST_SKIP() << "no /proc/self/statm";
  KvShape shape{.n_layer = 2, .k_dim = {16, 16}, .v_dim = {8, 8}, .n_heads = {}};
  auto kv = KvCache::Create(shape, 2 << 20);
  ASSERT_TRUE(kv.ok());
  std::vector<SeqId> seqs(1000, 0);
  std::vector<int32_t> pos(1000);
  for (int i = 0; i < 1000; ++i) pos[static_cast<size_t>(i)] = i;
  ASSERT_TRUE((*kv)->Place(seqs, pos).ok());
  (*kv)->Clear();
  EXPECT_LT(ResidentKiB() - before, 4 * 1024);
}

}  // namespace
}  // namespace shimmy
