// Weights copied into huge pages must compute exactly what the mapped file
// computes; the choice follows the request, then SHIMMY_WEIGHT_MEMORY.
// (Repacking on the copy changes the summation order; it has its own tests
// in engine/reference_test.cpp, so the exactness check here turns it off.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "model/model_test_util.h"

namespace shimmy::testing {
namespace {

std::string FixtureModel(const char* name) { return (FixturesDir() / "models" / name).string(); }

std::unique_ptr<Instance> OpenWith(const std::string& path, WeightMemory memory) {
  auto inst = Instance::Create({.path = path, .n_ctx = 64, .n_threads = 2, .weight_memory = memory});
  EXPECT_TRUE(inst.ok()) << inst.error().message();
  return inst.ok() ? std::move(inst).value() : nullptr;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(WeightMemory, HugePageCopyGivesBitIdenticalLogits) {
  SHIMMY_REQUIRE_FIXTURES();
  const ScopedEnv no_repack("SHIMMY_WEIGHT_REPACK", "off");
  const std::vector<TokenId> prompt = {1, 15, 27, 300, 4, 99, 12};
  for (const char* name : {"stories260K.gguf", "tiny-random-llama-Q4_K_M.gguf",
                           "tiny-random-qwen2-Q4_K_M.gguf"}) {
    auto mapped = OpenWith(FixtureModel(name), WeightMemory::kMapped);
    auto huge = OpenWith(FixtureModel(name), WeightMemory::kHugePages);
    ASSERT_TRUE(mapped && huge);
    EXPECT_EQ(mapped->model().weight_memory(), WeightMemory::kMapped);
    EXPECT_EQ(huge->model().weight_memory(), WeightMemory::kHugePages);
    EXPECT_EQ(mapped->model().huge_page_bytes(), 0u);
    // The weights really moved out of the file mapping.
    const auto* file_begin = mapped->model().file().tensors()[0].data;
    EXPECT_NE(huge->model().weights().token_embd.data(), mapped->model().weights().token_embd.data());
    EXPECT_NE(huge->model().file().tensors()[0].data, file_begin);
    const auto a = RunTokens(*mapped, prompt, 3, /*all_positions=*/true);
    const auto b = RunTokens(*huge, prompt, 3, /*all_positions=*/true);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a, b) << name;
  }
}

TEST(WeightMemory, EnvironmentOverridesOnlyTheAutomaticChoice) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string path = FixtureModel("stories260K.gguf");
  {
    const ScopedEnv env("SHIMMY_WEIGHT_MEMORY", "mapped");
    auto m = Model::Load(path);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ((*m)->weight_memory(), WeightMemory::kMapped);
    auto forced = Model::Load(path, WeightMemory::kHugePages);
    ASSERT_TRUE(forced.ok());
    EXPECT_EQ((*forced)->weight_memory(), WeightMemory::kHugePages);
  }
  const ScopedEnv env("SHIMMY_WEIGHT_MEMORY", "huge");
  auto h = Model::Load(path);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)->weight_memory(), WeightMemory::kHugePages);
}

TEST(WeightMemory, AutomaticChoiceCopiesSmallModelsWhenHugePagesExist) {
  SHIMMY_REQUIRE_FIXTURES();
  if (std::getenv("SHIMMY_WEIGHT_MEMORY") != nullptr) GTEST_SKIP() << "SHIMMY_WEIGHT_MEMORY is set";
  auto m = Model::Load(FixtureModel("stories260K.gguf"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->weight_memory(),
            TransparentHugePagesAvailable() ? WeightMemory::kHugePages : WeightMemory::kMapped);
}

}  // namespace
}  // namespace shimmy::testing
