// The optional F16 and Q8_0 KV caches against the reference outputs (made
// with an F32 cache): the prompt's last logits and every teacher-forced
// decode step stay within what the cache's rounding explains, the greedy
// tokens with a clear margin are kept, and the cache really is the smaller
// type (the logits differ from the F32 cache's, and a cell takes the
// type's bytes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "common/fixtures.h"
#include "engine/instance.h"

namespace shimmy {
namespace {

struct CachedRun {
  std::vector<std::vector<float>> logits;  // last prompt position, then each decode step
  size_t cell_bytes = 0;
};

// The reference's prompt in one batch, then its greedy tokens one at a time.
CachedRun RunReference(const std::string& model, DType cache_type, const nlohmann::json& ref) {
  auto inst =
      Instance::Create({.path = (testing::FixturesDir() / "models" / (model + ".gguf")).string(),
                        .n_ctx = ref["n_ctx"].get<int>(),
                        .n_threads = 2,
                        .cache_type_k = cache_type,
                        .cache_type_v = cache_type});
  EXPECT_TRUE(inst.ok()) << inst.error().message();
  if (!inst.ok()) return {};
  Forward& fwd = (*inst)->forward();
  const auto prompt = ref["prompt_tokens"].get<std::vector<int>>();
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < prompt.size(); ++i) {
    batch.push_back({prompt[i], static_cast<int32_t>(i), 0, i + 1 == prompt.size()});
  }
  CachedRun run;
  run.cell_bytes = (*inst)->kv().cell_bytes();
  std::vector<float> logits;
  EXPECT_TRUE(fwd.Run(batch, &logits).ok());
  run.logits.push_back(logits);
  const auto greedy = ref["greedy"].get<std::vector<int>>();
  for (size_t k = 0; k + 1 < greedy.size(); ++k) {
    std::vector<BatchToken> one{{greedy[k], static_cast<int32_t>(prompt.size() + k), 0, true}};
    EXPECT_TRUE(fwd.Run(one, &logits).ok());
    run.logits.push_back(logits);
  }
  return run;
}

float MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

struct Case {
  std::string model;
  DType cache_type;
  float tol;  // absolute logit tolerance against the reference
};

// Names the case in test output (the default prints the struct's bytes).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model << " with a " << Name(c.cache_type) << " cache";
}

class QuantizedKvCache : public ::testing::TestWithParam<Case> {};

TEST_P(QuantizedKvCache, StaysNearTheReferenceAndKeepsClearGreedyTokens) {
  SHIMMY_REQUIRE_FIXTURES();
  const Case& c = GetParam();
  const auto ref = nlohmann::json::parse(
      testing::ReadFile(testing::FixturesDir() / "models" / (c.model + ".ref.json")));
  const CachedRun exact = RunReference(c.model, DType::kF32, ref);
  const CachedRun cached = RunReference(c.model, c.cache_type, ref);
  ASSERT_EQ(cached.logits.size(), exact.logits.size());
  ASSERT_FALSE(cached.logits.empty());

  const auto full = ref["full_logits_last_prompt_pos"].get<std::vector<float>>();
  EXPECT_LE(MaxDiff(cached.logits[0], full), c.tol) << "last prompt position";
  const auto greedy = ref["greedy"].get<std::vector<int>>();
  const auto greedy_logit = ref["greedy_logit"].get<std::vector<float>>();
  const auto margin = ref["greedy_margin"].get<std::vector<float>>();
  float worst = 0.0f, moved = 0.0f;
  int compared = 0;
  for (size_t k = 0; k < greedy.size(); ++k) {
    const std::vector<float>& l = cached.logits[k];
    EXPECT_NEAR(l[static_cast<size_t>(greedy[k])], greedy_logit[k], c.tol) << "step " << k;
    worst = std::max(worst, std::fabs(l[static_cast<size_t>(greedy[k])] - greedy_logit[k]));
    moved = std::max(moved, MaxDiff(l, exact.logits[k]));
    if (margin[k] > 2 * c.tol) {
      EXPECT_EQ(std::max_element(l.begin(), l.end()) - l.begin(), greedy[k]) << "step " << k;
      ++compared;
    }
  }
  // A cache that silently stayed F32 would give the F32 cache's logits.
  EXPECT_GT(moved, 0.0f) << "the " << Name(c.cache_type) << " cache changed nothing";
  EXPECT_LT(cached.cell_bytes, exact.cell_bytes);
  EXPECT_GT(compared, 0) << "no greedy step with a margin to check";
  std::printf(
      "[ kv cache ] %s with a %s cache: max |greedy logit diff| %.3g (tol %.g), "
      "max move from the F32 cache %.3g, %d/%zu greedy steps checked, %zu -> %zu bytes per cell\n",
      c.model.c_str(), std::string(Name(c.cache_type)).c_str(), worst, c.tol, moved, compared,
      greedy.size(), exact.cell_bytes, cached.cell_bytes);
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  for (const char* arch : {"llama", "qwen2", "qwen3", "phi3"}) {
    const std::string model = std::string("tiny-random-") + arch + "-F32";
    cases.push_back({model, DType::kF16, 1e-3f});
    cases.push_back({model, DType::kQ8_0, 2e-2f});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, QuantizedKvCache, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name =
                               info.param.model + "_" + std::string(Name(info.param.cache_type));
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// stories260K's heads are 8 values wide: no whole Q8_0 block. The load
// says so instead of failing later or reading past a head.
TEST(QuantizedKvCacheErrors, Q8_0NeedsHeadsOfWholeBlocks) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string path = (testing::FixturesDir() / "models" / "stories260K.gguf").string();
  auto inst =
      Instance::Create({.path = path, .n_ctx = 64, .n_threads = 1, .cache_type_k = DType::kQ8_0});
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message().find("head dim 8 is not a multiple of 32"), std::string::npos)
      << inst.error().message();
  auto f16 = Instance::Create({.path = path,
                               .n_ctx = 64,
                               .n_threads = 1,
                               .cache_type_k = DType::kF16,
                               .cache_type_v = DType::kF16});
  EXPECT_TRUE(f16.ok()) << f16.error().message();
}

// Attention finds a KV head's rows by head index, so a cache built for
// another head count is refused, not read out of place.
TEST(QuantizedKvCacheErrors, ACacheOfOtherHeadsIsRefused) {
  SHIMMY_REQUIRE_FIXTURES();
  auto model =
      Model::Load((testing::FixturesDir() / "models" / "tiny-random-llama-F32.gguf").string());
  ASSERT_TRUE(model.ok()) << model.error().message();
  KvShape shape = KvShapeFor((*model)->hparams());
  shape.n_heads.clear();  // one head per layer
  auto kv = KvCache::Create(shape, 16);
  ASSERT_TRUE(kv.ok());
  ThreadPool pool(1);
  Forward fwd(*model, kv->get(), &pool);
  std::vector<float> logits;
  const std::vector<BatchToken> batch{{1, 0, 0, true}};
  const Status run = fwd.Run(batch, &logits);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.error().message().find("holds 1 heads, the model has 2"), std::string::npos)
      << run.error().message();
}

}  // namespace
}  // namespace shimmy
