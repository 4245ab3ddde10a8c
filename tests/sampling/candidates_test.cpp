#include "sampling/candidates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace shimmy {
namespace {

std::vector<Candidate> AllSorted(const std::vector<float>& logits) {
  std::vector<Candidate> all;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] > -INFINITY) all.push_back({logits[i], static_cast<TokenId>(i)});
  }
  std::sort(all.begin(), all.end(), RanksBefore);
  return all;
}

std::vector<float> RandomLogits(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> logits(n);
  for (float& l : logits) l = dist(rng);
  return logits;
}

TEST(SelectTopK, KeepsExactlyKBestFirstWithLowestIdOnTies) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 3.0f, -INFINITY, NAN, 0.5f};
  std::vector<Candidate> out;
  SelectTopK(logits, 3, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_EQ(out[1].id, 3);
  EXPECT_EQ(out[2].id, 2);
  SelectTopK(logits, 1, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, 1);
}

TEST(SelectTopK, SkipsNonFiniteAndHandlesLargeK) {
  const std::vector<float> logits = {-INFINITY, 2.0f, NAN, 1.0f};
  std::vector<Candidate> out;
  SelectTopK(logits, 10, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 1);
  EXPECT_EQ(out[1].id, 3);
  SelectTopK(logits, 0, out);
  EXPECT_TRUE(out.empty());
}

TEST(SelectTopK, MatchesFullSortOnALargeVocabulary) {
  const std::vector<float> logits = RandomLogits(151936, 7, 3.0f);
  const std::vector<Candidate> ref = AllSorted(logits);
  std::vector<Candidate> out;
  for (int32_t k : {1, 40, 1000}) {
    SelectTopK(logits, k, out);
    ASSERT_EQ(out.size(), static_cast<size_t>(k));
    for (int32_t i = 0; i < k; ++i) ASSERT_EQ(out[i].id, ref[i].id) << "k=" << k << " i=" << i;
  }
}

std::vector<TokenId> SortedIds(const std::vector<Candidate>& cands, size_t n) {
  std::vector<TokenId> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(cands[i].id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<TokenId> FirstIds(size_t n) {
  std::vector<TokenId> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(static_cast<TokenId>(i));
  return ids;
}

TEST(TopPPrefix, TiesAtTheCutKeepLowestIdsFirst) {
  // 100 equal tokens, each 1% of the mass: top_p 0.305 keeps exactly the 31
  // lowest ids, wherever they sit.
  std::vector<Candidate> cands;
  for (TokenId id = 0; id < 100; ++id) cands.push_back({0.0f, (id * 37) % 100});
  const size_t keep = TopPPrefix(cands, 0.0f, 0.305 * 100, false);
  ASSERT_EQ(keep, 31u);
  EXPECT_EQ(SortedIds(cands, keep), FirstIds(31));
}

// Probabilities 0.5, 0.3, 0.15, 0.05, deliberately not in order.
std::vector<Candidate> FourCandidates() {
  return {{std::log(0.15f), 2}, {std::log(0.5f), 0}, {std::log(0.05f), 3}, {std::log(0.3f), 1}};
}

TEST(TopPPrefix, KeepsTheTokenThatCrossesTheTarget) {
  const float max_logit = std::log(0.5f);
  const double z = 1.0 / 0.5;  // sum exp(l - max) = 1 / p_max
  struct Case {
    double top_p;
    size_t keep;
  } cases[] = {{0.0, 1}, {0.45, 1}, {0.55, 2}, {0.79, 2}, {0.81, 3}, {0.96, 4}, {1.0, 4}};
  for (const Case& c : cases) {
    std::vector<Candidate> cands = FourCandidates();
    const size_t keep = TopPPrefix(cands, max_logit, c.top_p * z, /*sorted=*/false);
    EXPECT_EQ(keep, c.keep) << "top_p=" << c.top_p;
    EXPECT_EQ(SortedIds(cands, keep), FirstIds(keep));
    std::vector<Candidate> sorted = FourCandidates();
    std::sort(sorted.begin(), sorted.end(), RanksBefore);
    EXPECT_EQ(TopPPrefix(sorted, max_logit, c.top_p * z, /*sorted=*/true), c.keep);
  }
}

TEST(TopPPrefix, SelectionMatchesFullSort) {
  std::vector<float> logits = RandomLogits(50000, 11, 1.0f);        // flat: big nucleus
  for (size_t i = 0; i < logits.size(); i += 3) logits[i] = 0.25f;  // long runs of ties
  const std::vector<Candidate> ref = AllSorted(logits);
  const float max_logit = ref[0].logit;
  double z = 0.0;
  for (const Candidate& c : ref) z += std::exp(c.logit - max_logit);
  for (double top_p : {0.1, 0.5, 0.9, 0.99}) {
    std::vector<Candidate> cands = ref;
    std::shuffle(cands.begin(), cands.end(), std::mt19937(3));
    const size_t keep = TopPPrefix(cands, max_logit, top_p * z, false);
    std::vector<Candidate> sorted = ref;
    const size_t keep_sorted = TopPPrefix(sorted, max_logit, top_p * z, true);
    // Sums in another order may round differently right at the boundary.
    ASSERT_NEAR(static_cast<double>(keep), static_cast<double>(keep_sorted), 1.0);
    const size_t common = std::min(keep, keep_sorted);
    std::vector<TokenId> expected = SortedIds(ref, common);
    std::vector<TokenId> got = SortedIds(cands, keep);
    for (TokenId id : expected) {
      ASSERT_TRUE(std::binary_search(got.begin(), got.end(), id)) << "top_p=" << top_p;
    }
  }
}

TEST(NucleusFloor, NeverCutsAMemberOfTheNucleus) {
  for (float scale : {0.5f, 2.0f, 6.0f}) {
    const std::vector<float> logits = RandomLogits(32000, 5, scale);
    const std::vector<Candidate> ref = AllSorted(logits);
    const float max_logit = ref[0].logit;
    for (float top_p : {0.1f, 0.5f, 0.9f, 0.95f, 0.999f}) {
      double z = 0.0;
      const float floor = NucleusFloor(logits, max_logit, top_p, &z);
      std::vector<Candidate> sorted = ref;
      const size_t keep = TopPPrefix(sorted, max_logit, top_p * z, true);
      EXPECT_GE(sorted[keep - 1].logit, floor) << "scale=" << scale << " top_p=" << top_p;
      double z_ref = 0.0;
      for (const Candidate& c : ref) z_ref += std::exp(static_cast<double>(c.logit - max_logit));
      EXPECT_NEAR(z, z_ref, 1e-4 * z_ref);
    }
  }
}

TEST(NucleusFloor, PrunesMostOfAPeakedRow) {
  std::vector<float> logits = RandomLogits(100000, 9, 1.0f);
  logits[123] = 30.0f;  // one dominant token
  double z = 0.0;
  const float floor = NucleusFloor(logits, 30.0f, 0.9f, &z);
  std::vector<Candidate> kept;
  SelectAtLeast(logits, floor, kept);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, 123);
}

}  // namespace
}  // namespace shimmy
