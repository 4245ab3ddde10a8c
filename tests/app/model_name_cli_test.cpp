// Models named the way `shimmy list` names them: probe, generate, logits
// and bench run on a temporary store (see model_store.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/model_store.h"

namespace shimmy {
namespace {

TEST_F(ModelStoreTest, ListShowsTheStore) {
  const CommandOutput r = Shimmy("list --json", kNoStderr);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> names;
  for (const auto& m : nlohmann::json::parse(r.out)) names.push_back(m["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"hollow", "stories260k", "tiny-embed",
                                             "tiny-random-llama:q4_k_m"}));
}

TEST_F(ModelStoreTest, ProbeByNamePrintsOneLine) {
  const CommandOutput r = Shimmy("probe stories260k", kNoStderr);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(r.out.starts_with("ok  stories260k  " + (root_ / "models/stories260K.gguf").string() +
                                "  llama "))
      << r.out;
  EXPECT_NE(r.out.find("load "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" token "), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
}

TEST_F(ModelStoreTest, ProbeJsonByPrefixAndByPath) {
  const CommandOutput by_name = Shimmy("probe tiny-random-llama --json", kNoStderr);
  ASSERT_EQ(by_name.exit_code, 0) << by_name.out;
  const auto j = nlohmann::json::parse(by_name.out);
  EXPECT_EQ(j["name"], "tiny-random-llama:q4_k_m");
  EXPECT_EQ(j["arch"], "llama");
  EXPECT_EQ(j["quant"], "Q4_K_M");
  EXPECT_GT(j["params"].get<uint64_t>(), 0u);
  const CommandOutput by_path =
      Shimmy("probe " + Path("tiny-random-llama-Q4_K_M.gguf") + " --json");
  ASSERT_EQ(by_path.exit_code, 0) << by_path.out;
  const auto k = nlohmann::json::parse(by_path.out);
  EXPECT_EQ(k["name"], "");
  EXPECT_EQ(k["token"], j["token"]);  // greedy: the same first token
}

TEST_F(ModelStoreTest, ProbeUnknownNameSaysWhy) {
  CommandOutput r = Shimmy("probe nosuchmodel");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("no model named 'nosuchmodel'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("shimmy list"), std::string::npos) << r.out;
  r = Shimmy("probe storis260k");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("did you mean: stories260k"), std::string::npos) << r.out;
}

TEST_F(ModelStoreTest, ProbeBrokenModelsExitTwo) {
  // Not a model at all: discovery skips it, so the name is unknown...
  CommandOutput r = Shimmy("probe broken");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  // ...and the file itself does not load.
  r = Shimmy("probe " + Path("broken.gguf"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("error: probe"), std::string::npos) << r.out;
  // A language model by its header whose weights are missing.
  r = Shimmy("probe hollow");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("error: probe hollow: "), std::string::npos) << r.out;
  // Not a language model.
  r = Shimmy("probe tiny-embed");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("is an embedding model, not a language model"), std::string::npos) << r.out;
}

TEST_F(ModelStoreTest, GenerateByNameMatchesGenerateByPath) {
  const std::string sampling = " --temperature 0 -n 24";
  const CommandOutput by_path =
      Shimmy("generate " + Path("stories260K.gguf") + " --prompt 'Once upon a time'" + sampling,
             kNoStderr);
  ASSERT_EQ(by_path.exit_code, 0) << by_path.out;
  ASSERT_GT(by_path.out.size(), 10u);
  for (const std::string args :
       {"generate 'Once upon a time' --model stories260k",
        "generate stories260k --prompt 'Once upon a time'",
        "generate -m stories260k Once upon a time", "generate stories260k 'Once upon a time'"}) {
    const CommandOutput r = Shimmy(args + sampling, kNoStderr);
    EXPECT_EQ(r.exit_code, 0) << args;
    EXPECT_EQ(r.out, by_path.out) << args;
  }
}

TEST_F(ModelStoreTest, GenerateArgumentMistakesAreUsageErrors) {
  EXPECT_EQ(Shimmy("generate").exit_code, 1);
  EXPECT_EQ(Shimmy("generate --prompt hi").exit_code, 1);
  const CommandOutput twice = Shimmy("generate stories260k hello --prompt hi");
  EXPECT_EQ(twice.exit_code, 1) << twice.out;
  EXPECT_NE(twice.out.find("prompt is given twice"), std::string::npos) << twice.out;
  const CommandOutput unknown = Shimmy("generate 'Hello world' --model nosuch");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("no model named 'nosuch'"), std::string::npos) << unknown.out;
}

TEST_F(ModelStoreTest, LogitsAndBenchByName) {
  const std::string logits = " --prompt-tokens 1,403,407 --json";
  const CommandOutput a = Shimmy("logits stories260k" + logits, kNoStderr);
  const CommandOutput b = Shimmy("logits --model " + Path("stories260K.gguf") + logits, kNoStderr);
  ASSERT_EQ(a.exit_code, 0) << a.out.substr(0, 300);
  EXPECT_EQ(a.out, b.out);

  const CommandOutput bench =
      Shimmy("bench tiny-random-llama:q4_k_m -p 8 -n 4 -r 1 -t 1 --json", kNoStderr);
  ASSERT_EQ(bench.exit_code, 0) << bench.out;
  const auto j = nlohmann::json::parse(bench.out);
  EXPECT_EQ(j["model"], (root_ / "models/tiny-random-llama-Q4_K_M.gguf").string());
  EXPECT_GT(j["decode_tok_s"].get<double>(), 0.0);
  EXPECT_EQ(Shimmy("bench nosuch -p 8 -n 4").exit_code, 2);
}

}  // namespace
}  // namespace shimmy
