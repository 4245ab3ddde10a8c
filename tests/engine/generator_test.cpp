#include "engine/generator.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/fixtures.h"

namespace shimmy {
namespace {

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::unique_ptr<Instance> Stories(int n_ctx = 512) {
  auto inst = Instance::Create(
      {.path = (testing::FixturesDir() / "models" / "stories260K.gguf").string(), .n_ctx = n_ctx, .n_threads = 2});
  EXPECT_TRUE(inst.ok()) << inst.error().message();
  return std::move(inst).value();
}

TEST(Generator, LoadedModelKeepsNoSecondCopyOfTheVocabulary) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Stories();
  // The tokenizer copied the arrays; the model's metadata no longer holds them.
  EXPECT_EQ(inst->model().file().Find("tokenizer.ggml.tokens"), nullptr);
  EXPECT_EQ(inst->model().file().Find("tokenizer.ggml.scores"), nullptr);
  EXPECT_NE(inst->model().file().Find("tokenizer.ggml.model"), nullptr);
  EXPECT_EQ(inst->tokenizer().vocab().size(),
            static_cast<size_t>(inst->model().hparams().n_vocab));
  const auto ids = inst->tokenizer().Encode("Once upon a time");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(inst->tokenizer().Decode(ids, false), "Once upon a time");
}

TEST(Generator, IdleCpuIsZeroAfterGeneration) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Stories();
  GenerateRequest req;
  req.prompt = inst->tokenizer().Encode("Once upon a time");
  req.max_tokens = 100;
  req.sampling.temperature = 0;
  ASSERT_TRUE(Generate(*inst, req).ok());
  // Let the pool's short post-job spin run out, then measure a window in
  // which nothing is asked of it.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const double before = ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double used = ProcessCpuSeconds() - before;
  std::printf("[ idle     ] CPU used over 500 ms idle: %.3f ms\n", used * 1e3);
  EXPECT_LT(used, 0.010);
}

TEST(Generator, CancelFromSinkStopsEarly) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Stories();
  GenerateRequest req;
  req.prompt = inst->tokenizer().Encode("Once upon a time");
  req.max_tokens = 64;
  req.sampling.temperature = 0;
  int pieces = 0;
  auto out = Generate(*inst, req, [&](std::string_view) { return ++pieces < 3; });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(pieces, 3);
  EXPECT_LT(out->tokens.size(), 10u);
}

TEST(Generator, StreamedPiecesAddUpToTheText) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Stories();
  GenerateRequest req;
  req.prompt = inst->tokenizer().Encode("Once upon a time");
  req.max_tokens = 64;
  req.sampling.temperature = 0;
  std::string streamed;
  auto out = Generate(*inst, req, [&](std::string_view p) {
    streamed += p;
    return true;
  });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(streamed, out->text);
  const auto ref = nlohmann::json::parse(
      testing::ReadFile(testing::FixturesDir() / "models" / "stories260K.ref.json"));
  EXPECT_EQ(out->text, ref["story"]["text"].get<std::string>());
}

TEST(Generator, EndOfGenerationTokenStops) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Stories();
  GenerateRequest req;
  req.prompt = inst->tokenizer().Encode("Once upon a time");
  req.max_tokens = 400;
  req.sampling.temperature = 0;
  // Force EOS (id 2) as soon as possible with a logit bias.
  req.sampling.logit_bias[2] = 100.0f;
  auto out = Generate(*inst, req);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->finish_reason, "stop");
  ASSERT_EQ(out->tokens.size(), 1u);
  EXPECT_EQ(out->tokens[0], 2);
  EXPECT_EQ(out->text, "");
}

TEST(Generator, ContextOverflowIsAnError) {
  SHIMMY_REQUIRE_FIXTURES();
  auto inst = Stories(8);
  GenerateRequest req;
  req.prompt = inst->tokenizer().Encode("Once upon a time there was a little girl");
  auto out = Generate(*inst, req);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("context holds 8"), std::string::npos) << out.error().message();
}

}  // namespace
}  // namespace shimmy
