// Kinds come from GGUF metadata: LLM, embedding, projector, LoRA, not a model.
#include "discovery/classify.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/fixtures.h"
#include "discovery/fact_cache.h"
#include "test_models.h"

namespace shimmy::discovery {
namespace {

namespace fs = std::filesystem;

class ClassifyTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("discovery-classify"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ClassifyTest, Fixtures) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto models = testing::FixturesDir() / "models";
  const ModelFacts f = ReadFacts((models / "tiny-random-llama-Q4_K_M.gguf").string());
  EXPECT_EQ(f.kind, ModelKind::kLlm);
  EXPECT_EQ(f.arch, "llama");
  EXPECT_EQ(f.general_name, "tiny-random-llama");
  EXPECT_EQ(f.quant, "Q4_K_M");
  EXPECT_EQ(f.n_params, 1836288u);
  EXPECT_EQ(f.context_length, 512u);
  EXPECT_EQ(ReadFacts((models / "stories260K.gguf").string()).quant, "F32")
      << "without general.file_type the dominant tensor type is used";
}

TEST_F(ClassifyTest, KindsFromMetadata) {
  fake::WriteLlm(P("llm.gguf"));
  fake::WriteEmbedding(P("embed.gguf"));
  fake::WritePoolingLlm(P("qwen3-embed.gguf"));
  fake::WriteMmproj(P("mmproj.gguf"));
  fake::WriteLora(P("lora.gguf"), "llama", "tiny");
  fake::WriteVocabOnly(P("vocab.gguf"));
  EXPECT_EQ(ReadFacts(P("llm.gguf")).kind, ModelKind::kLlm);
  EXPECT_EQ(ReadFacts(P("embed.gguf")).kind, ModelKind::kEmbedding);
  EXPECT_EQ(ReadFacts(P("embed.gguf")).quant, "F16");
  EXPECT_EQ(ReadFacts(P("qwen3-embed.gguf")).kind, ModelKind::kEmbedding);
  EXPECT_EQ(ReadFacts(P("mmproj.gguf")).kind, ModelKind::kMmproj);
  const ModelFacts lora = ReadFacts(P("lora.gguf"));
  EXPECT_EQ(lora.kind, ModelKind::kLora);
  EXPECT_EQ(lora.base_model, "tiny");
  const ModelFacts vocab = ReadFacts(P("vocab.gguf"));
  EXPECT_EQ(vocab.kind, ModelKind::kNotAModel);
  EXPECT_EQ(vocab.problem, "vocabulary only (no tensors)");
}

TEST_F(ClassifyTest, NotModels) {
  std::ofstream(P("text.gguf")) << "just some text";
  std::ofstream(P("empty.gguf"));
  std::ofstream(P("truncated.gguf"), std::ios::binary) << "GGUF\x03";
  EXPECT_EQ(ReadFacts(P("text.gguf")).problem, "not a GGUF file");
  EXPECT_EQ(ReadFacts(P("empty.gguf")).problem, "not a GGUF file");
  const ModelFacts broken = ReadFacts(P("truncated.gguf"));
  EXPECT_EQ(broken.kind, ModelKind::kNotAModel);
  EXPECT_TRUE(broken.problem.starts_with("broken: ")) << broken.problem;
  EXPECT_EQ(broken.problem.find(P("truncated.gguf")), std::string::npos) << broken.problem;
}

TEST_F(ClassifyTest, SplitModelCountsEveryShard) {
  const auto paths = fake::WriteSplitLlm(P("tiny-split"));
  ASSERT_EQ(paths.size(), 3u);
  const ModelFacts f = ReadFacts(paths[0]);
  EXPECT_EQ(f.kind, ModelKind::kLlm);
  EXPECT_EQ(f.n_params, 8u * 16 + 64 + 8 + 128);
  fs::remove(paths[2]);
  EXPECT_TRUE(ReadFacts(paths[0]).problem.starts_with("broken: "));
}

TEST_F(ClassifyTest, FileTypeNames) {
  EXPECT_EQ(FileTypeName(15), "Q4_K_M");
  EXPECT_EQ(FileTypeName(32), "BF16");
  EXPECT_EQ(FileTypeName(999), "");
}

TEST_F(ClassifyTest, FactCacheRoundTripsThroughDisk) {
  FactCache cache;
  ModelFacts f;
  f.kind = ModelKind::kLora;
  f.arch = "llama";
  f.n_params = 42;
  f.context_length = 7;
  f.base_model = "tiny";
  const FileStamp stamp{100, 5, 2};
  cache.BeginScan();
  cache.Put("/m/a.gguf", stamp, f);
  ASSERT_TRUE(cache.Save(P("cache/discovery.json")).ok());

  FactCache loaded;
  loaded.Load(P("cache/discovery.json"));
  loaded.BeginScan();
  EXPECT_EQ(loaded.Find("/m/a.gguf", FileStamp{100, 6, 2}), nullptr) << "mtime changed";
  const ModelFacts* hit = loaded.Find("/m/a.gguf", stamp);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->kind, ModelKind::kLora);
  EXPECT_EQ(hit->base_model, "tiny");
  EXPECT_EQ(hit->context_length, 7u);

  std::ofstream(P("cache/discovery.json")) << "{not json";
  FactCache damaged;
  damaged.Load(P("cache/discovery.json"));
  EXPECT_EQ(damaged.size(), 0u);
}

}  // namespace
}  // namespace shimmy::discovery
