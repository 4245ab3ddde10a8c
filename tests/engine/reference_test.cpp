// Every fixture model against the reference implementation's outputs
// (fixtures README §1.3-1.6): the full logits of the last prompt position,
// the top-10 logits of the next four teacher-forced positions, and the
// greedy tokens wherever the reference's own margin makes them comparable.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/fixtures.h"
#include "engine/forward.h"
#include "kernels/matmul.h"

namespace shimmy {
namespace {

// Absolute logit tolerances with the activation conversion emulated
// (fixtures README §1.5, right-hand column).
float Tolerance(const std::string& file_type, const std::string& arch) {
  if (file_type.find("F32") != std::string::npos || file_type == "ALL_F32") return 1e-4f;
  if (file_type.find("BF16") != std::string::npos) return 1e-2f;
  if (file_type.find("F16") != std::string::npos) return 1e-3f;
  (void)arch;
  return 2e-2f;
}

struct Loaded {
  std::shared_ptr<const Model> model;
  std::unique_ptr<KvCache> kv;
};

Loaded Load(const std::filesystem::path& path, int n_ctx,
            WeightMemory memory = WeightMemory::kAuto) {
  auto model = Model::Load(path.string(), memory);
  EXPECT_TRUE(model.ok()) << model.error().message();
  if (!model.ok()) return {};
  auto kv = KvCache::Create(KvShapeFor((*model)->hparams()), n_ctx);
  EXPECT_TRUE(kv.ok());
  return {*model, std::move(kv).value()};
}

int Argmax(const float* x, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

class ReferenceModels : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceModels, LogitsAndGreedyMatchReference) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto dir = testing::FixturesDir() / "models";
  const auto ref = nlohmann::json::parse(testing::ReadFile(dir / (GetParam() + ".ref.json")));
  const float tol = Tolerance(ref["file_type"].get<std::string>(), ref["arch"].get<std::string>());
  Loaded m = Load(dir / (GetParam() + ".gguf"), ref["n_ctx"].get<int>());
  ASSERT_TRUE(m.model && m.kv);
  ThreadPool pool(2);
  Forward fwd(m.model, m.kv.get(), &pool);
  const int n_vocab = m.model->hparams().n_vocab;
  ASSERT_EQ(n_vocab, ref["n_vocab"].get<int>());

  // Prompt in one batch, logits of the last position.
  const auto prompt = ref["prompt_tokens"].get<std::vector<int>>();
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < prompt.size(); ++i) {
    batch.push_back({prompt[i], static_cast<int32_t>(i), 0, i + 1 == prompt.size()});
  }
  std::vector<float> logits;
  ASSERT_TRUE(fwd.Run(batch, &logits).ok());
  ASSERT_EQ(logits.size(), static_cast<size_t>(n_vocab));
  const auto full = ref["full_logits_last_prompt_pos"].get<std::vector<float>>();
  float max_diff = 0.0f;
  for (int i = 0; i < n_vocab; ++i) max_diff = std::max(max_diff, std::fabs(logits[i] - full[i]));
  EXPECT_LE(max_diff, tol) << "last prompt position";

  // Teacher-forced decode over the reference's greedy tokens, one per step.
  const auto greedy = ref["greedy"].get<std::vector<int>>();
  const auto margin = ref["greedy_margin"].get<std::vector<float>>();
  const auto greedy_logit = ref["greedy_logit"].get<std::vector<float>>();
  std::vector<std::vector<float>> step_logits{logits};
  for (size_t k = 0; k + 1 < greedy.size(); ++k) {
    std::vector<BatchToken> one{{greedy[k], static_cast<int32_t>(prompt.size() + k), 0, true}};
    ASSERT_TRUE(fwd.Run(one, &logits).ok());
    step_logits.push_back(logits);
  }
  int compared = 0;
  for (size_t k = 0; k < greedy.size(); ++k) {
    const std::vector<float>& l = step_logits[k];
    EXPECT_NEAR(l[static_cast<size_t>(greedy[k])], greedy_logit[k], tol) << "step " << k;
    if (margin[k] > 2 * tol) {
      EXPECT_EQ(Argmax(l.data(), n_vocab), greedy[k]) << "step " << k;
      ++compared;
    }
  }
  // Top-10 entries at positions 9..13.
  for (const auto& entry : ref["logits"]) {
    const size_t step = entry["pos"].get<size_t>() - (prompt.size() - 1);
    ASSERT_LT(step, step_logits.size());
    for (const auto& pair : entry["top"]) {
      const int id = pair[0].get<int>();
      EXPECT_NEAR(step_logits[step][static_cast<size_t>(id)], pair[1].get<float>(), tol)
          << "pos " << entry["pos"] << " token " << id;
      max_diff = std::max(max_diff, std::fabs(step_logits[step][static_cast<size_t>(id)] - pair[1].get<float>()));
    }
  }
  std::printf("[ reference] %s: max |logit diff| %.3g (tol %.g), greedy argmax checked at %d/%zu steps\n",
              GetParam().c_str(), max_diff, tol, compared, greedy.size());
}

std::vector<std::string> ReferenceNames() {
  std::vector<std::string> names = {"stories260K"};
  for (const char* t : {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K",
                        "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL"}) {
    names.push_back(std::string("tiny-random-llama-") + t);
  }
  for (const char* a : {"qwen2", "qwen3", "phi3", "qwen3moe"}) {
    for (const char* t : {"F32", "Q4_K_M"}) {
      names.push_back(std::string("tiny-random-") + a + "-" + t);
    }
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceModels, ::testing::ValuesIn(ReferenceNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// Greedy story from the reference's prompt; with `release_scratch` the
// forward pass frees its scratch after every step, as an idle engine does,
// and must grow it back and compute the same story.
void ExpectGreedyStory(bool release_scratch) {
  const auto dir = testing::FixturesDir() / "models";
  const auto ref = nlohmann::json::parse(testing::ReadFile(dir / "stories260K.ref.json"));
  Loaded m = Load(dir / "stories260K.gguf", 512);
  ASSERT_TRUE(m.model && m.kv);
  ThreadPool pool(2);
  Forward fwd(m.model, m.kv.get(), &pool);
  EXPECT_EQ(fwd.ScratchBytes(), 0u);
  const auto prompt = ref["story"]["prompt_tokens"].get<std::vector<int>>();
  const auto expected = ref["story"]["greedy"].get<std::vector<int>>();
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < prompt.size(); ++i) {
    batch.push_back({prompt[i], static_cast<int32_t>(i), 0, i + 1 == prompt.size()});
  }
  std::vector<float> logits;
  std::vector<int> got;
  int32_t pos = static_cast<int32_t>(prompt.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    ASSERT_TRUE(fwd.Run(batch, &logits).ok());
    if (release_scratch) {
      const size_t held = fwd.ScratchBytes();
      EXPECT_GT(held, 0u);
      EXPECT_EQ(fwd.ReleaseScratch(), held);
      EXPECT_EQ(fwd.ScratchBytes(), 0u);
    }
    const int next = Argmax(logits.data(), m.model->hparams().n_vocab);
    got.push_back(next);
    batch = {{next, pos++, 0, true}};
  }
  EXPECT_EQ(got, expected);
}

TEST(Stories260K, GreedyStoryMatchesReference) {
  SHIMMY_REQUIRE_FIXTURES();
  ExpectGreedyStory(false);
}

TEST(Stories260K, ReleasingScratchBetweenStepsChangesNothing) {
  SHIMMY_REQUIRE_FIXTURES();
  ExpectGreedyStory(true);
}

// The type `tensor` of a loaded model is held in.
DType TypeOf(const Model& model, std::string_view tensor) {
  for (const auto& t : model.file().tensors()) {
    if (t.name == tensor) return t.type;
  }
  ADD_FAILURE() << "no tensor " << tensor;
  return DType::kF32;
}

// Loads `file` mapped and copied into memory (where RepackForSpeed applies),
// checks `tensor` (by default the first layer's wq) has the expected type in
// each, and that both give the same logits up to float summation order.
void ExpectCopyGivesTheMappedFilesLogits(const char* file, DType mapped_type, DType copied_type,
                                         std::string_view tensor = "blk.0.attn_q.weight") {
  const auto path = testing::FixturesDir() / "models" / file;
  std::vector<float> logits[2];
  const WeightMemory modes[2] = {WeightMemory::kMapped, WeightMemory::kHugePages};
  for (int i = 0; i < 2; ++i) {
    Loaded m = Load(path, 64, modes[i]);
    ASSERT_TRUE(m.model && m.kv);
    EXPECT_EQ(TypeOf(*m.model, tensor), i == 0 ? mapped_type : copied_type) << tensor;
    ThreadPool pool(2);
    Forward fwd(m.model, m.kv.get(), &pool);
    std::vector<BatchToken> batch;
    for (int t = 0; t < 8; ++t) batch.push_back({(t * 37 + 5) % 100, t, 0, t == 7});
    ASSERT_TRUE(fwd.Run(batch, &logits[i]).ok());
  }
  ASSERT_EQ(logits[0].size(), logits[1].size());
  for (size_t k = 0; k < logits[0].size(); ++k) {
    ASSERT_NEAR(logits[0][k], logits[1][k], 1e-4f) << k;
  }
}

// The layout RepackForSpeed gives `plain` matrices on this CPU.
DType CopiedLayout(DType plain, DType interleaved) {
  if (MatMulHasInterleavedKernels()) return interleaved;
  std::printf("[ note     ] this CPU has no kernels for %s\n",
              std::string(Name(interleaved)).c_str());
  return plain;
}

TEST(Repacking, Q5_0CopiedAsQ8_0GivesTheMappedFilesLogits) {
  // The copy into memory turns Q5_0 into Q8_0 (exact per block), 8 rows
  // interleaved where the CPU has the kernels for that.
  SHIMMY_REQUIRE_FIXTURES();
  ExpectCopyGivesTheMappedFilesLogits("tiny-random-llama-Q5_0.gguf", DType::kQ5_0,
                                      CopiedLayout(DType::kQ8_0, DType::kQ8_0_X8));
}

TEST(Repacking, Q8_0CopiedAsInterleavedRowsGivesTheMappedFilesLogits) {
  SHIMMY_REQUIRE_FIXTURES();
  ExpectCopyGivesTheMappedFilesLogits("tiny-random-llama-Q8_0.gguf", DType::kQ8_0,
                                      CopiedLayout(DType::kQ8_0, DType::kQ8_0_X8));
}

TEST(Repacking, KQuantsCopiedAsInterleavedRowsGiveTheMappedFilesLogits) {
  // Where the CPU has the kernels, Q4_K and Q6_K matrices become Q4_K_X8 and
  // Q6_K_X8 (the same bytes, 8 rows interleaved); elsewhere they stay.
  SHIMMY_REQUIRE_FIXTURES();
  const DType copied = CopiedLayout(DType::kQ4_K, DType::kQ4_K_X8);
  ExpectCopyGivesTheMappedFilesLogits("tiny-random-llama-Q4_K_M.gguf", DType::kQ4_K, copied);
  // The untied token embeddings are only looked up: they stay as they are.
  ExpectCopyGivesTheMappedFilesLogits("tiny-random-llama-Q4_K_M.gguf", DType::kQ4_K, DType::kQ4_K,
                                      "token_embd.weight");
  if (copied == DType::kQ4_K) return;
  // The file's Q6_K matrices (output, some ffn_down) were repacked too.
  Loaded m = Load(testing::FixturesDir() / "models" / "tiny-random-llama-Q4_K_M.gguf", 64,
                  WeightMemory::kHugePages);
  ASSERT_TRUE(m.model);
  int q6_repacked = 0;
  for (const auto& t : m.model->file().tensors()) {
    q6_repacked += t.file_type == DType::kQ6_K && t.type == DType::kQ6_K_X8;
  }
  EXPECT_GT(q6_repacked, 0);
}

TEST(Repacking, TiedTokenEmbeddingsAreRepackedAndStillLookUpTheirRows) {
  // Tied, token_embd is also the output matrix: it is repacked like the
  // others, and the lookup of every token (ids 5..96, most not a multiple of
  // 8) unpacks its row from the group.
  SHIMMY_REQUIRE_FIXTURES();
  ExpectCopyGivesTheMappedFilesLogits("tiny-random-qwen2-Q4_K_M.gguf", DType::kQ6_K,
                                      CopiedLayout(DType::kQ6_K, DType::kQ6_K_X8),
                                      "token_embd.weight");
}

}  // namespace
}  // namespace shimmy
