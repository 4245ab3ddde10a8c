// Runs the shimmy binary as a user would and checks output and exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fixtures.h"
#include "common/run_command.h"

namespace shimmy {
namespace {

using CliRun = testing::CommandOutput;

CliRun Shimmy(const std::string& args) {
  return testing::RunCommand(std::string(SHIMMY_BINARY) + " " + args + " 2>&1");
}

std::string Fixture(const std::string& rel) {
  return "'" + (testing::FixturesDir() / rel).string() + "'";
}

TEST(Cli, HelpListsCommands) {
  const CliRun r = Shimmy("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("inspect"), std::string::npos);
  EXPECT_NE(r.out.find("tokenize"), std::string::npos);
}

TEST(Cli, UnknownFlagIsUsageError) { EXPECT_EQ(Shimmy("--no-such-flag").exit_code, 1); }

TEST(Cli, InspectMissingFileIsRuntimeError) {
  const CliRun r = Shimmy("inspect /nonexistent.gguf");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent.gguf"), std::string::npos);
}

TEST(Cli, InspectEveryFixtureAsJson) {
  SHIMMY_REQUIRE_FIXTURES();
  size_t n = 0;
  for (const char* sub : {"models", "tokenizer"}) {
    for (const auto& e : std::filesystem::directory_iterator(testing::FixturesDir() / sub)) {
      if (e.path().extension() != ".gguf") continue;
      const CliRun r = Shimmy("inspect --json '" + e.path().string() + "'");
      ASSERT_EQ(r.exit_code, 0) << e.path() << "\n" << r.out;
      const auto j = nlohmann::json::parse(r.out);
      EXPECT_FALSE(j["architecture"].get<std::string>().empty()) << e.path();
      EXPECT_TRUE(j["metadata"].contains("general.architecture"));
      ++n;
    }
  }
  EXPECT_EQ(n, 36u);
}

TEST(Cli, InspectTextShowsTheSummary) {
  SHIMMY_REQUIRE_FIXTURES();
  const CliRun r = Shimmy("inspect " + Fixture("models/tiny-random-qwen2-Q4_K_M.gguf"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("architecture:    qwen2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Q4_K"), std::string::npos);
  EXPECT_NE(r.out.find("context length:  512"), std::string::npos);
  EXPECT_NE(r.out.find("512 tokens, tokenizer llama"), std::string::npos);
  // Long arrays are abbreviated, not dumped.
  EXPECT_NE(r.out.find("tokenizer.ggml.tokens = [string x 512]"), std::string::npos);
  EXPECT_LT(r.out.size(), 20000u);
}

TEST(Cli, InspectJsonAbbreviatesLongArrays) {
  SHIMMY_REQUIRE_FIXTURES();
  const CliRun r = Shimmy("inspect --json " + Fixture("tokenizer/ggml-vocab-qwen2.gguf"));
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["vocab_size"], 151936);
  EXPECT_EQ(j["tokenizer_model"], "gpt2");
  EXPECT_EQ(j["tokenizer_pre"], "qwen2");
  EXPECT_EQ(j["chat_template"], true);
  EXPECT_EQ(j["metadata"]["tokenizer.ggml.tokens"]["length"], 151936);
  EXPECT_EQ(j["metadata"]["tokenizer.ggml.tokens"]["head"].size(), 8u);
}

}  // namespace
}  // namespace shimmy

namespace shimmy {
namespace {

// stories260K's reference tokenization of the fixtures' prompt (BOS added).
constexpr const char* kPrompt = "Once upon a time, there was a little";
constexpr const char* kPromptIds = "1 403 407 261 378 432 383 286 261 376";

TEST(CliTokenize, MatchesReferencePromptTokens) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto model = Fixture("models/stories260K.gguf");
  CliRun r = Shimmy("tokenize --model " + model + " '" + kPrompt + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, std::string(kPromptIds) + "\n");

  r = Shimmy("tokenize --no-bos --json -m " + model + " '" + kPrompt + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::parse("[403, 407, 261, 378, 432, 383, 286, 261, 376]"));
}

TEST(CliTokenize, ReadsStdinWithDash) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto dir = testing::TempDir("cli-stdin");
  const auto input = (dir / "prompt.txt").string();
  std::ofstream(input) << kPrompt;
  const CliRun r =
      Shimmy("tokenize --model " + Fixture("models/stories260K.gguf") + " - < '" + input + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, std::string(kPromptIds) + "\n");
}

TEST(CliTokenize, SpecialTokensOnlyWithFlag) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto model = Fixture("models/stories260K.gguf");
  const CliRun plain = Shimmy("tokenize --no-bos --json -m " + model + " '</s>'");
  const CliRun special = Shimmy("tokenize --no-bos --json --special -m " + model + " '</s>'");
  ASSERT_EQ(plain.exit_code, 0);
  ASSERT_EQ(special.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(special.out), nlohmann::json::parse("[2]"));
  EXPECT_GT(nlohmann::json::parse(plain.out).size(), 1u) << plain.out;
}

TEST(CliDetokenize, GivesBackTheText) {
  SHIMMY_REQUIRE_FIXTURES();
  const CliRun r = Shimmy("detokenize --model " + Fixture("models/stories260K.gguf") + " " +
                          kPromptIds);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, std::string(kPrompt) + "\n");
}

TEST(CliDetokenize, OutOfRangeIdIsUsageError) {
  SHIMMY_REQUIRE_FIXTURES();
  const CliRun r = Shimmy("detokenize --model " + Fixture("models/stories260K.gguf") + " 5 99999");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("99999"), std::string::npos);
}

TEST(CliTokenize, CorruptModelIsRuntimeError) {
  const auto dir = testing::TempDir("cli-corrupt");
  const auto path = (dir / "bad.gguf").string();
  std::ofstream(path) << "GGUF but not really";
  const CliRun r = Shimmy("tokenize --model '" + path + "' hello");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(path), std::string::npos) << r.out;
}

}  // namespace
}  // namespace shimmy
