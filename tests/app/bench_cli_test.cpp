// shimmy bench, run as a user would: output shape and exit codes (the
// numbers themselves are only checked to be sane).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/fixtures.h"
#include "common/run_command.h"

namespace shimmy {
namespace {

using BenchRun = testing::CommandOutput;

BenchRun Bench(const std::string& args, bool with_stderr = true) {
  return testing::RunCommand(std::string(SHIMMY_BINARY) + " bench " + args +
                             (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

std::string TinyLlama() {
  return "'" + (testing::FixturesDir() / "models/tiny-random-llama-Q4_K_M.gguf").string() + "'";
}

TEST(CliBench, JsonHasPositiveRates) {
  SHIMMY_REQUIRE_FIXTURES();
  const BenchRun r = Bench(TinyLlama() + " --prompt-len 16 --gen-len 8 --reps 3 --threads 1 --json",
                           /*with_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt_len"], 16);
  EXPECT_EQ(j["gen_len"], 8);
  EXPECT_EQ(j["reps"], 3);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["architecture"], "llama");
  EXPECT_NE(j["model"].get<std::string>().find("tiny-random-llama-Q4_K_M.gguf"), std::string::npos);
  EXPECT_GE(j["load_ms"].get<double>(), 0.0);
  for (const char* phase : {"prefill", "decode"}) {
    const std::string key = std::string(phase) + "_tok_s";
    const double median = j[key].get<double>();
    EXPECT_GT(median, 0.0) << key;
    EXPECT_LE(j[key + "_min"].get<double>(), median) << key;
    EXPECT_GE(j[key + "_max"].get<double>(), median) << key;
    EXPECT_EQ(j[std::string(phase) + "_ms"].size(), 3u) << phase;
  }
}

TEST(CliBench, PlainRunLeavesBandwidthNull) {
  SHIMMY_REQUIRE_FIXTURES();
  const BenchRun r = Bench(TinyLlama() + " -p 4 -n 4 -r 1 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"read_gbps_4k", "read_gbps_huge", "decode_pct_of_huge", "decode_pct_of_4k"})
    EXPECT_TRUE(j[key].is_null()) << key;
  EXPECT_GT(j["decode_weight_gbps"].get<double>(), 0.0);
}

TEST(CliBench, BandwidthJsonGivesRatesAndShares) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string model = (testing::FixturesDir() / "models/stories260K.gguf").string();
  const BenchRun r =
      Bench("'" + model + "' -p 0 -n 8 -r 1 -t 2 --bandwidth --bandwidth-mib 64 --json",
            /*with_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"read_gbps_4k", "read_gbps_huge", "decode_weight_gbps",
                          "decode_pct_of_huge", "decode_pct_of_4k"}) {
    ASSERT_TRUE(j[key].is_number()) << key << " in " << r.out;
    EXPECT_GT(j[key].get<double>(), 0.0) << key;
  }
  // The shares are decode's weight traffic over each measured rate.
  const double decode_gbps =
      j["weight_bytes_per_token"].get<double>() * j["decode_tok_s"].get<double>() * 1e-9;
  EXPECT_NEAR(j["decode_weight_gbps"].get<double>(), decode_gbps, 1e-9 + 1e-9 * decode_gbps);
  EXPECT_NEAR(j["decode_pct_of_huge"].get<double>(),
              100.0 * decode_gbps / j["read_gbps_huge"].get<double>(), 1e-6);
  EXPECT_NEAR(j["decode_pct_of_4k"].get<double>(),
              100.0 * decode_gbps / j["read_gbps_4k"].get<double>(), 1e-6);
  EXPECT_LE(j["read_huge_page_bytes"].get<double>(), 64.0 * (1 << 20));
}

TEST(CliBench, BandwidthTextNamesBothPageSizes) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string model = (testing::FixturesDir() / "models/stories260K.gguf").string();
  const BenchRun r = Bench("'" + model + "' -p 0 -n 4 -r 1 --bandwidth --bandwidth-mib 16");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("bandwidth: 4 KiB pages "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in huge pages)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tg4: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("of the 2 MiB-page limit"), std::string::npos) << r.out;
}

TEST(CliBench, PromptLongerThanTrainingContextAndChunk) {
  SHIMMY_REQUIRE_FIXTURES();
  // The fixture's training context is 512; 600 tokens also spans two chunks.
  const BenchRun r = Bench(TinyLlama() + " -p 600 -n 4 -r 1 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_GT(nlohmann::json::parse(r.out)["prefill_tok_s"].get<double>(), 0.0);
}

TEST(CliBench, DecodeOnlyLeavesPrefillNull) {
  SHIMMY_REQUIRE_FIXTURES();
  const BenchRun r = Bench(TinyLlama() + " --prompt-len 0 --gen-len 4 --reps 1 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["prefill_tok_s"].is_null());
  EXPECT_GT(j["decode_tok_s"].get<double>(), 0.0);
}

TEST(CliBench, TextShowsATable) {
  SHIMMY_REQUIRE_FIXTURES();
  const BenchRun r = Bench(TinyLlama() + " -p 8 -n 4 -r 1 -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("tok/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pp8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tg4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threads: 1"), std::string::npos) << r.out;
}

TEST(CliBench, MissingFileIsRuntimeError) {
  const BenchRun r = Bench("/nonexistent/model.gguf --json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent/model.gguf"), std::string::npos) << r.out;
}

TEST(CliBench, NotAModelIsRuntimeError) {
  const auto dir = testing::TempDir("bench-bad");
  const auto path = (dir / "bad.gguf").string();
  std::ofstream(path) << "this is not a GGUF file";
  const BenchRun r = Bench("'" + path + "' -p 4 -n 2");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("error:"), std::string::npos) << r.out;
}

TEST(CliBench, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(Bench("").exit_code, 1);
  EXPECT_EQ(Bench("/nonexistent.gguf --reps 0").exit_code, 1);
  EXPECT_EQ(Bench("/nonexistent.gguf --prompt-len -1").exit_code, 1);
  EXPECT_EQ(Bench("/nonexistent.gguf --prompt-len 0 --gen-len 0").exit_code, 1);
  EXPECT_EQ(Bench("/nonexistent.gguf --bandwidth-mib 0").exit_code, 1);
}

}  // namespace
}  // namespace shimmy
