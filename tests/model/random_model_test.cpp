// The random model writer: determinism, validation, the values it draws, and
// (against the fixtures) the keys, tensors and type mixes real files carry.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gguf/gguf_file.h"
#include "model/model.h"
#include "model_test_util.h"
#include "quant/quant.h"

namespace shimmy {
namespace {

using testing::TempDir;
using testing::WriteModel;

std::vector<float> TensorAsF32(const gguf::GgufFile& f, const std::string& name) {
  const gguf::TensorInfo* t = f.FindTensor(name);
  EXPECT_NE(t, nullptr) << name;
  if (t == nullptr) return {};
  std::vector<float> out(t->n_elements);
  const int64_t n_cols = t->shape[0];
  const uint64_t row_bytes = *RowBytes(t->type, static_cast<uint64_t>(n_cols));
  for (uint64_t r = 0; r < t->n_elements / static_cast<uint64_t>(n_cols); ++r) {
    DequantizeRow(t->type, t->data + r * row_bytes, out.data() + r * n_cols, n_cols);
  }
  return out;
}

TEST(RandomModel, SameSpecSameBytesOtherSeedOtherBytes) {
  const auto dir = TempDir("rm-determinism");
  RandomModelSpec spec = *RandomModelPreset("tiny-qwen3moe");
  spec.type = "Q4_K_M";
  const std::string a = testing::ReadFile(WriteModel(spec, dir, "a"));
  spec.n_threads = 3;  // the split over threads must not matter
  const std::string b = testing::ReadFile(WriteModel(spec, dir, "b"));
  spec.seed = 2;
  const std::string c = testing::ReadFile(WriteModel(spec, dir, "c"));
  ASSERT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "same spec, different bytes";
  EXPECT_EQ(a.size(), c.size());
  EXPECT_FALSE(a == c) << "a different seed gave the same bytes";
}

TEST(RandomModel, ValuesFollowTheDocumentedDistributionsWhateverTheType) {
  const auto dir = TempDir("rm-values");
  RandomModelSpec spec = *RandomModelPreset("tiny-qwen2");
  auto f32 = gguf::GgufFile::Open(WriteModel(spec, dir, "f32"));
  spec.type = "Q8_0";
  auto q8 = gguf::GgufFile::Open(WriteModel(spec, dir, "q8"));
  ASSERT_TRUE(f32.ok() && q8.ok());

  auto moments = [](const std::vector<float>& v) {
    double s = 0, s2 = 0;
    for (float x : v) s += x, s2 += double{x} * x;
    const double mean = s / v.size();
    return std::pair{mean, std::sqrt(s2 / v.size() - mean * mean)};
  };
  const auto embd = TensorAsF32(*f32, "token_embd.weight");
  auto [m, sd] = moments(embd);
  EXPECT_NEAR(m, 0.0, 1e-3);
  EXPECT_NEAR(sd, 0.02, 4e-4);
  std::tie(m, sd) = moments(TensorAsF32(*f32, "blk.1.ffn_norm.weight"));
  EXPECT_NEAR(m, 1.0, 0.02);
  EXPECT_NEAR(sd, 0.05, 0.01);
  std::tie(m, sd) = moments(TensorAsF32(*f32, "blk.0.attn_q.bias"));
  EXPECT_NEAR(sd, 0.1, 0.02);

  // Same seed in another type: the same weights up to Q8_0's rounding
  // (half a step of max|x|/127 per 32 values, well under 1e-3 here).
  EXPECT_EQ(q8->FindTensor("token_embd.weight")->type, DType::kQ8_0);
  EXPECT_LT(testing::MaxAbsDiff(embd, TensorAsF32(*q8, "token_embd.weight")), 1e-3f);
  EXPECT_EQ(TensorAsF32(*f32, "blk.1.ffn_norm.weight"), TensorAsF32(*q8, "blk.1.ffn_norm.weight"));
}

TEST(RandomModel, RejectsInvalidSpecsNamingTheField) {
  struct Case {
    const char* what;
    void (*edit)(RandomModelSpec&);
  };
  const Case cases[] = {
      {"architecture", [](RandomModelSpec& s) { s.arch = "gpt-j"; }},
      {"neither a tensor type", [](RandomModelSpec& s) { s.type = "Q4_K_X"; }},
      {"no quantizer", [](RandomModelSpec& s) { s.type = "MXFP4"; }},
      {"no quantizer", [](RandomModelSpec& s) { s.type = "Q8_K"; }},
      {"n_embd", [](RandomModelSpec& s) { s.n_embd = 0; }},
      {"n_layer", [](RandomModelSpec& s) { s.n_layer = -1; }},
      {"n_head_kv", [](RandomModelSpec& s) { s.n_head_kv = 3; }},
      {"head_dim", [](RandomModelSpec& s) { s.head_dim = 63; }},
      {"give head_dim", [](RandomModelSpec& s) { s.n_embd = 250; }},
      {"n_ff", [](RandomModelSpec& s) { s.n_ff = 0; }},
      {"n_vocab", [](RandomModelSpec& s) { s.n_vocab = 0; }},
      {"has no experts", [](RandomModelSpec& s) { s.n_expert = 4; }},
      {"mixture of experts", [](RandomModelSpec& s) { s.arch = "qwen3moe"; }},
      {"sliding_window", [](RandomModelSpec& s) { s.sliding_window = -4; }},
      {"softcaps", [](RandomModelSpec& s) { s.final_softcap = -1.0f; }},
      {"norm_eps", [](RandomModelSpec& s) { s.norm_eps = 0.0f; }},
      {"rope_base", [](RandomModelSpec& s) { s.rope_base = NAN; }},
      {"llama3_rope_factor", [](RandomModelSpec& s) { s.llama3_rope_factor = 0.5f; }},
      {"weight_std", [](RandomModelSpec& s) { s.weight_std = -0.02f; }},
  };
  const auto dir = TempDir("rm-invalid");
  for (const Case& c : cases) {
    RandomModelSpec spec;
    c.edit(spec);
    const Status st = ValidateRandomModelSpec(spec);
    ASSERT_FALSE(st.ok()) << c.what;
    EXPECT_NE(st.error().message().find(c.what), std::string::npos) << st.error().message();
    const std::string path = (dir / "m.gguf").string();
    EXPECT_FALSE(WriteRandomModel(spec, path).ok());
    EXPECT_FALSE(std::filesystem::exists(path)) << c.what;
  }
  RandomModelSpec moe = *RandomModelPreset("tiny-qwen3moe");
  moe.n_expert_used = 9;
  EXPECT_FALSE(ValidateRandomModelSpec(moe).ok());
  EXPECT_FALSE(RandomModelPreset("llama-70b").ok());
}

TEST(RandomModel, FailuresLeaveNoFile) {
  const auto dir = TempDir("rm-fail");
  RandomModelSpec spec;
  spec.vocab_path = (dir / "missing-vocab.gguf").string();
  const std::string path = (dir / "m.gguf").string();
  const Status st = WriteRandomModel(spec, path);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("missing-vocab"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(WriteRandomModel(RandomModelSpec{}, (dir / "no-such-dir" / "m.gguf").string()).ok());
}

TEST(RandomModel, EveryPresetIsValidAndTheLargeOnesHaveTheirPublishedShapes) {
  for (auto name : RandomModelPresets()) {
    auto spec = RandomModelPreset(name);
    ASSERT_TRUE(spec.ok());
    EXPECT_TRUE(ValidateRandomModelSpec(*spec).ok()) << name;
  }
  const RandomModelSpec l1b = *RandomModelPreset("llama-3.2-1b");
  EXPECT_EQ(l1b.n_embd, 2048);
  EXPECT_EQ(l1b.n_vocab, 128256);
  EXPECT_TRUE(l1b.tied_output);
  const RandomModelSpec q05 = *RandomModelPreset("qwen2.5-0.5b");
  EXPECT_EQ(q05.n_head, 14);
  EXPECT_EQ(q05.n_ff, 4864);
  EXPECT_FALSE(RandomModelPreset("llama-8b")->tied_output);
}

// Every tiny preset loads, binds every tensor its architecture wants, and
// gives finite logits in a tensor type and in a mix.
class TinyPresets : public ::testing::TestWithParam<const char*> {};

TEST_P(TinyPresets, LoadAndRun) {
  const auto dir = TempDir(std::string("rm-tiny-") + GetParam());
  for (const char* type : {"F32", "Q4_K_M"}) {
    RandomModelSpec spec = *RandomModelPreset(GetParam());
    spec.type = type;
    auto inst = testing::Open(WriteModel(spec, dir, type));
    ASSERT_NE(inst, nullptr);
    EXPECT_EQ(inst->model().hparams().arch, spec.arch);
    const auto logits = testing::LastLogits(*inst, testing::Prompt(12, spec.n_vocab));
    EXPECT_EQ(logits.size(), static_cast<size_t>(spec.n_vocab));
    EXPECT_TRUE(testing::AllFinite(logits)) << type;
  }
}

INSTANTIATE_TEST_SUITE_P(All, TinyPresets,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-qwen3moe",
                                           "tiny-phi3", "tiny-gemma2", "tiny-gemma3"));

TEST(RandomModel, Llama3RopeFreqsAreBoundAndScaleOnlyLowFrequencies) {
  const auto dir = TempDir("rm-rope-freqs");
  RandomModelSpec spec;
  spec.rope_base = 500000.0f;
  spec.llama3_rope_factor = 32.0f;
  spec.head_dim = 0;
  auto model = Model::Load(WriteModel(spec, dir, "m"));
  ASSERT_TRUE(model.ok()) << model.error().message();
  const Weight& f = (*model)->weights().rope_freqs;
  ASSERT_TRUE(f);
  ASSERT_EQ(f.dim(0), 32);
  EXPECT_FLOAT_EQ(f.f32()[0], 1.0f);    // highest frequency untouched
  EXPECT_FLOAT_EQ(f.f32()[31], 32.0f);  // lowest divided by the factor
  for (int i = 1; i < 32; ++i) EXPECT_GE(f.f32()[i], f.f32()[i - 1]);
}

// ---- Against the fixtures --------------------------------------------------

std::string FixturePath(const std::string& name) {
  return (testing::FixturesDir() / "models" / (name + ".gguf")).string();
}

// The tiny presets reproduce the fixtures' files: every metadata key the
// fixture has (tokenizer and name aside) with the same value, and the same
// tensors with the same shapes and types. For the K mixes this checks our
// approximation of llama-quantize on these shapes.
class FixtureLayouts : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(FixtureLayouts, MatchKeysTensorsAndTypes) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto [arch, type] = GetParam();
  const auto dir = TempDir(std::string("rm-layout-") + arch + type);
  RandomModelSpec spec = *RandomModelPreset(std::string("tiny-") + arch);
  spec.type = type;
  auto ours = gguf::GgufFile::Open(WriteModel(spec, dir, "m"));
  auto ref = gguf::GgufFile::Open(FixturePath(std::string("tiny-random-") + arch + "-" + type));
  ASSERT_TRUE(ours.ok() && ref.ok());
  for (const auto& kv : ref->metadata()) {
    if (kv.key.starts_with("tokenizer.") || kv.key == "general.name") continue;
    const gguf::Value* v = ours->Find(kv.key);
    ASSERT_NE(v, nullptr) << "missing key " << kv.key;
    if (kv.value.AsString() != nullptr) {
      EXPECT_EQ(*v->AsString(), *kv.value.AsString()) << kv.key;
    } else {
      EXPECT_EQ(v->AsDouble(), kv.value.AsDouble()) << kv.key;
    }
  }
  ASSERT_EQ(ours->tensors().size(), ref->tensors().size());
  for (const auto& t : ref->tensors()) {
    const gguf::TensorInfo* o = ours->FindTensor(t.name);
    ASSERT_NE(o, nullptr) << t.name;
    EXPECT_EQ(o->shape, t.shape) << t.name;
    EXPECT_EQ(Name(o->type), Name(t.type)) << t.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureLayouts,
    ::testing::Values(std::pair{"llama", "F32"}, std::pair{"llama", "F16"}, std::pair{"llama", "Q8_0"},
                      std::pair{"llama", "Q6_K"}, std::pair{"llama", "Q3_K_M"},
                      std::pair{"llama", "Q4_K_M"}, std::pair{"llama", "Q5_K_M"},
                      std::pair{"qwen2", "F32"}, std::pair{"qwen2", "Q4_K_M"}, std::pair{"qwen3", "F32"},
                      std::pair{"qwen3", "Q4_K_M"}, std::pair{"qwen3moe", "F32"},
                      std::pair{"qwen3moe", "Q4_K_M"}, std::pair{"phi3", "F32"},
                      std::pair{"phi3", "Q4_K_M"}),
    [](const auto& info) { return std::string(info.param.first) + "_" + info.param.second; });

TEST(RandomModelFixtures, CopiesTheVocabularyAndTakesItsSize) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto dir = TempDir("rm-vocab");
  RandomModelSpec spec;
  spec.n_vocab = 1000;  // replaced by the vocabulary's 512
  spec.vocab_path = FixturePath("stories260K");
  auto inst = testing::Open(WriteModel(spec, dir, "m"));
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(inst->model().hparams().n_vocab, 512);
  ASSERT_TRUE(inst->has_tokenizer());
  // The fixtures' prompt tokenizes as in every ref.json (README §1.3).
  const std::vector<TokenId> want = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
  EXPECT_EQ(inst->tokenizer().Encode("Once upon a time, there was a little"), want);
  EXPECT_TRUE(testing::AllFinite(testing::LastLogits(*inst, want)));
}

}  // namespace
}  // namespace shimmy
