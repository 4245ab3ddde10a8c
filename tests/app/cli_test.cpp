// Runs the shimmy binary as a user would and checks output and exit codes.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/fixtures.h"

namespace shimmy {
namespace {

struct CliRun {
  int exit_code;
  std::string out;
};

CliRun Shimmy(const std::string& args) {
  const std::string cmd = std::string(SHIMMY_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
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
