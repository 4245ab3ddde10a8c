// shimmy generate / logits / gpu-info, run as a user would.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/fixtures.h"
#include "common/run_command.h"

namespace shimmy {
namespace {

using Output = testing::CommandOutput;

Output RunShimmy(const std::string& args, bool with_stderr = true) {
  return testing::RunCommand(std::string(SHIMMY_BINARY) + " " + args +
                             (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

std::string Model(const std::string& name) {
  return "'" + (testing::FixturesDir() / "models" / name).string() + "'";
}

nlohmann::json Ref(const std::string& name) {
  return nlohmann::json::parse(testing::ReadFile(testing::FixturesDir() / "models" / name));
}

TEST(CliGenerate, Stories260KGreedyGivesTheReferenceStory) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto ref = Ref("stories260K.ref.json");
  const Output r = RunShimmy("generate " + Model("stories260K.gguf") +
                       " --prompt 'Once upon a time' --temperature 0 --max-tokens 64", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, ref["story"]["text"].get<std::string>() + "\n");
}

TEST(CliGenerate, JsonHasTokensTextFinishReasonAndTimings) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto ref = Ref("stories260K.ref.json");
  const Output r = RunShimmy("generate " + Model("stories260K.gguf") +
                           " --prompt 'Once upon a time' --temperature 0 -n 64 --json",
                       false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt_tokens"], ref["story"]["prompt_tokens"]);
  EXPECT_EQ(j["tokens"], ref["story"]["greedy"]);
  EXPECT_EQ(j["text"], ref["story"]["text"]);
  EXPECT_EQ(j["finish_reason"], "length");
  for (const char* k : {"load_ms", "prompt_ms", "decode_ms", "prompt_tok_s", "decode_tok_s"}) {
    EXPECT_GT(j["timings"][k].get<double>(), 0.0) << k;
  }
}

TEST(CliGenerate, PromptTokensMatchReferenceGreedy) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto ref = Ref("tiny-random-qwen2-F32.ref.json");  // large margins: all 32 comparable
  std::string ids;
  for (int id : ref["prompt_tokens"]) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const Output r = RunShimmy("generate " + Model("tiny-random-qwen2-F32.gguf") + " --prompt-tokens " + ids +
                           " --temperature 0 -n 32 --json",
                       false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"], ref["greedy"]);
}

TEST(CliGenerate, StopStringEndsOutputBeforeIt) {
  SHIMMY_REQUIRE_FIXTURES();
  const Output r = RunShimmy("generate " + Model("stories260K.gguf") +
                           " --prompt 'Once upon a time' --temperature 0 -n 64 --stop Lily --json",
                       false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["text"], ", there was a little girl named ");
  EXPECT_EQ(j["finish_reason"], "stop");
}

TEST(CliGenerate, SeededSamplingIsReproducible) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string args = "generate " + Model("stories260K.gguf") +
                           " --prompt 'Once upon a time' --temperature 1 --top-k 0 --top-p 1 -n 40 --json";
  const Output a = RunShimmy(args + " --seed 7", false), b = RunShimmy(args + " --seed 7", false),
               c = RunShimmy(args + " --seed 8", false);
  ASSERT_EQ(a.exit_code, 0);
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out),
             jc = nlohmann::json::parse(c.out);
  EXPECT_EQ(ja["tokens"], jb["tokens"]);
  EXPECT_NE(ja["tokens"], jc["tokens"]);
}

TEST(CliGenerate, PromptPlusMaxTokensBeyondContextIsAClearError) {
  SHIMMY_REQUIRE_FIXTURES();
  const Output r = RunShimmy("generate " + Model("stories260K.gguf") +
                       " --prompt 'Once upon a time' --ctx 16 -n 64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("exceeds the context size 16"), std::string::npos) << r.out;
}

TEST(CliGenerate, NeedsExactlyOnePrompt) {
  SHIMMY_REQUIRE_FIXTURES();
  EXPECT_EQ(RunShimmy("generate " + Model("stories260K.gguf")).exit_code, 1);
  EXPECT_EQ(RunShimmy("generate " + Model("stories260K.gguf") + " -p hi --prompt-tokens 1,2").exit_code, 1);
  EXPECT_EQ(RunShimmy("generate " + Model("stories260K.gguf") + " --prompt-tokens 1,99999").exit_code, 1);
}

TEST(CliGenerate, UnsupportedOrMissingModelIsRuntimeError) {
  SHIMMY_REQUIRE_FIXTURES();
  const Output r = RunShimmy("generate '" +
                       (testing::FixturesDir() / "tokenizer" / "ggml-vocab-gpt-2.gguf").string() +
                       "' -p hi");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("not supported"), std::string::npos) << r.out;
  EXPECT_EQ(RunShimmy("generate /nonexistent.gguf -p hi").exit_code, 2);
}

TEST(CliLogits, LastPositionMatchesReference) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto ref = Ref("tiny-random-llama-F32.ref.json");
  std::string ids;
  for (int id : ref["prompt_tokens"]) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const Output r = RunShimmy("logits " + Model("tiny-random-llama-F32.gguf") + " --prompt-tokens " + ids + " --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 500);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n_vocab"], 512);
  ASSERT_EQ(j["positions"].size(), 1u);
  EXPECT_EQ(j["positions"][0]["pos"], 9);
  const auto got = j["positions"][0]["logits"].get<std::vector<float>>();
  const auto want = ref["full_logits_last_prompt_pos"].get<std::vector<float>>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4f) << i;
}

TEST(CliLogits, AllPositions) {
  SHIMMY_REQUIRE_FIXTURES();
  const Output r = RunShimmy("logits " + Model("stories260K.gguf") + " --prompt-tokens 1,403,407 --positions all --json", false);
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["positions"].size(), 3u);
  EXPECT_EQ(j["positions"][2]["pos"], 2);
  EXPECT_EQ(j["positions"][2]["logits"].size(), 512u);
}

// --kv-cache-type (and SHIMMY_KV_CACHE_TYPE) reach the engine: the logits
// move by the cache's rounding, not more; a type the cache cannot hold is
// a usage error, and a model whose heads are not whole Q8_0 blocks says so.
TEST(CliLogits, KvCacheTypeChangesTheCacheNotTheAnswer) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto ref = Ref("tiny-random-llama-F32.ref.json");
  std::string ids;
  for (int id : ref["prompt_tokens"]) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const auto want = ref["full_logits_last_prompt_pos"].get<std::vector<float>>();
  const std::string logits =
      "logits " + Model("tiny-random-llama-F32.gguf") + " --prompt-tokens " + ids + " --json";
  for (const char* how :
       {"--kv-cache-type q8_0", "--cache-type-k Q8_0 --cache-type-v f16", "env"}) {
    const bool env = std::string(how) == "env";
    const Output r =
        env ? testing::RunCommand("SHIMMY_KV_CACHE_TYPE=q8_0 " + std::string(SHIMMY_BINARY) + " " +
                                  logits + " 2>/dev/null")
            : RunShimmy(logits + " " + how, false);
    ASSERT_EQ(r.exit_code, 0) << how << ": " << r.out.substr(0, 500);
    const auto got =
        nlohmann::json::parse(r.out)["positions"][0]["logits"].get<std::vector<float>>();
    ASSERT_EQ(got.size(), want.size());
    float moved = 0.0f;
    for (size_t i = 0; i < got.size(); ++i) moved = std::max(moved, std::fabs(got[i] - want[i]));
    EXPECT_GT(moved, 1e-4f) << how << ": the cache type did not reach the engine";
    EXPECT_LT(moved, 2e-2f) << how;
  }
  const Output bad = RunShimmy(logits + " --kv-cache-type q4_0");
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_NE(bad.out.find("q4_0 not in {f32,f16,q8_0}"), std::string::npos) << bad.out;
  const Output narrow = RunShimmy("logits " + Model("stories260K.gguf") +
                                  " --prompt-tokens 1,403 --kv-cache-type q8_0");
  EXPECT_NE(narrow.exit_code, 0);
  EXPECT_NE(narrow.out.find("head dim 8 is not a multiple of 32"), std::string::npos) << narrow.out;
}

TEST(CliGpuInfo, ReportsTheCpuBackend) {
  const Output r = RunShimmy("gpu-info --json", false);
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["backends"][0]["backend"], "cpu");
  EXPECT_FALSE(j["backends"][0]["simd_target"].get<std::string>().empty());
  EXPECT_GE(j["backends"][0]["physical_cores"].get<int>(), 1);
}

}  // namespace
}  // namespace shimmy
