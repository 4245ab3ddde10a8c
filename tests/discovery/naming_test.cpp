// Names from file names, Ollama manifests and repos; collision suffixes.
#include "discovery/naming.h"

#include <gtest/gtest.h>

namespace shimmy::discovery {
namespace {

std::string FromFile(std::string_view file, std::string_view fallback = "folder") {
  return JoinName(NameFromFile(file, fallback));
}

TEST(Naming, QuantizationBecomesTheTag) {
  EXPECT_EQ(FromFile("qwen2.5-0.5b-instruct-q4_k_m.gguf"), "qwen2.5-0.5b-instruct:q4_k_m");
  EXPECT_EQ(FromFile("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"), "qwen2.5-0.5b-instruct:q4_k_m");
  EXPECT_EQ(FromFile("tiny-random-llama-IQ4_NL.gguf"), "tiny-random-llama:iq4_nl");
  EXPECT_EQ(FromFile("Meta-Llama-3-8B-Instruct.Q8_0.gguf"), "meta-llama-3-8b-instruct:q8_0");
  EXPECT_EQ(FromFile("gemma-2-2b-it-BF16.gguf"), "gemma-2-2b-it:bf16");
  EXPECT_EQ(FromFile("phi_3_f16.gguf"), "phi_3:f16");
  EXPECT_EQ(FromFile("Qwen3-4B-UD-Q4_K_XL.gguf"), "qwen3-4b:ud-q4_k_xl");
  EXPECT_EQ(FromFile("gpt-oss-20b-MXFP4.gguf"), "gpt-oss-20b:mxfp4");
}

TEST(Naming, NoQuantizationNoTag) {
  EXPECT_EQ(FromFile("stories260K.gguf"), "stories260k");
  EXPECT_EQ(FromFile("Mistral-7B-v0.1.gguf"), "mistral-7b-v0.1");
  EXPECT_EQ(FromFile("qwen2-7b.gguf"), "qwen2-7b");
}

TEST(Naming, ShardSuffixIsDropped) {
  EXPECT_EQ(FromFile("big-model-Q4_K_M-00001-of-00003.gguf"), "big-model:q4_k_m");
  EXPECT_EQ(FromFile("big-00002-of-00002.gguf"), "big");
}

TEST(Naming, GenericStemsTakeTheFolderOrRepoName) {
  EXPECT_EQ(FromFile("ggml-model-Q4_K_M.gguf", "tiny"), "tiny:q4_k_m");
  EXPECT_EQ(FromFile("model.gguf", "My Model"), "my-model");
  EXPECT_EQ(FromFile("Q8_0.gguf", "repo"), "repo:q8_0");
  EXPECT_EQ(FromFile("mmproj-model-f16.gguf", "gemma-3-4b-it"), "gemma-3-4b-it-mmproj:f16");
  EXPECT_EQ(FromFile("mmproj-F16.gguf", "gemma"), "gemma-mmproj:f16");
  EXPECT_EQ(FromFile("mmproj-tiny-f16.gguf", "x"), "mmproj-tiny:f16");
  EXPECT_EQ(FromFile("model.gguf", ""), "model");
}

TEST(Naming, OddCharactersBecomeDashes) {
  EXPECT_EQ(FromFile("My Model (v2)+extra.gguf"), "my-model-v2-extra");
  EXPECT_EQ(SanitizeName("--A  B.."), "a-b");
  EXPECT_EQ(SanitizeName("日本"), "");
}

TEST(Naming, RepoBaseDropsGgufSuffix) {
  EXPECT_EQ(RepoBaseName("Qwen2.5-0.5B-Instruct-GGUF"), "qwen2.5-0.5b-instruct");
  EXPECT_EQ(RepoBaseName("Llama_GGUF"), "llama");
  EXPECT_EQ(RepoBaseName("gguf"), "gguf");
}

TEST(Naming, OllamaNames) {
  EXPECT_EQ(OllamaName("registry.ollama.ai", "library", "qwen3", "4b"), "qwen3:4b");
  EXPECT_EQ(OllamaName("registry.ollama.ai", "someone", "Tiny", "q4"), "someone/tiny:q4");
  EXPECT_EQ(OllamaName("hf.co", "unsloth", "Qwen3-GGUF", "Q4_K_M"),
            "hf.co/unsloth/qwen3-gguf:q4_k_m");
}

TEST(Naming, CollisionsGetNumberedSuffixBeforeTheTag) {
  EXPECT_EQ(
      MakeUnique({"a:q4", "b", "a:q4", "b", "a:q4", "a-2:q4", "ns/m:t"}),
      (std::vector<std::string>{"a:q4", "b", "a-2:q4", "b-2", "a-3:q4", "a-2-2:q4", "ns/m:t"}));
  EXPECT_EQ(MakeUnique({"host:5000/m", "host:5000/m"}),
            (std::vector<std::string>{"host:5000/m", "host:5000/m-2"}));
}

}  // namespace
}  // namespace shimmy::discovery
