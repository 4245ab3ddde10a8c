#include <gtest/gtest.h>

#include <cstring>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/summary.h"
#include "tensor/half.h"

namespace shimmy::gguf {
namespace {

std::vector<std::filesystem::path> AllFixtureGgufs() {
  std::vector<std::filesystem::path> out;
  for (const char* sub : {"models", "tokenizer"}) {
    const auto dir = testing::FixturesDir() / sub;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".gguf") out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GgufReader, OpensEveryFixture) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto files = AllFixtureGgufs();
  ASSERT_EQ(files.size(), 36u);  // 23 models + 13 vocabularies
  for (const auto& path : files) {
    auto f = GgufFile::Open(path.string());
    ASSERT_TRUE(f.ok()) << f.error().message();
    EXPECT_TRUE(f->version() == 2 || f->version() == 3) << path;
    EXPECT_FALSE(f->architecture().empty()) << path;
    for (const auto& t : f->tensors()) {
      EXPECT_EQ(t.bytes().size(), t.n_bytes);
    }
  }
  std::printf("[ gguf     ] opened %zu fixture files\n", files.size());
}

TEST(GgufReader, Stories260KHasItsKnownShape) {
  SHIMMY_REQUIRE_FIXTURES();
  auto f = GgufFile::Open((testing::FixturesDir() / "models" / "stories260K.gguf").string());
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->architecture(), "llama");
  EXPECT_EQ(f->ArchUint("embedding_length"), 64u);
  EXPECT_EQ(f->ArchUint("block_count"), 5u);
  EXPECT_EQ(f->ArchUint("attention.head_count"), 8u);
  EXPECT_EQ(f->ArchUint("attention.head_count_kv"), 4u);
  const Array* tokens = f->GetArray("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->size(), 512u);
  EXPECT_EQ(tokens->strings[1], "<s>");
  const TensorInfo* emb = f->FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, DType::kF32);
  ASSERT_EQ(emb->shape.size(), 2u);
  EXPECT_EQ(emb->shape[0], 64);
  EXPECT_EQ(emb->shape[1], 512);
  EXPECT_EQ(emb->n_bytes, 64u * 512u * 4u);
  // Zero copy: the tensor data lies inside the mapped file.
  const Summary s = Summarize(*f);
  EXPECT_EQ(s.vocab_size, 512u);
  EXPECT_EQ(s.tokenizer_model, "llama");
  EXPECT_EQ(s.dominant_type, "F32");
  EXPECT_GT(s.n_params, 200'000u);
  EXPECT_LT(s.n_params, 400'000u);
}

TEST(GgufReader, QuantizedTensorTypesAreRecognised) {
  SHIMMY_REQUIRE_FIXTURES();
  auto f = GgufFile::Open(
      (testing::FixturesDir() / "models" / "tiny-random-llama-Q4_K_M.gguf").string());
  ASSERT_TRUE(f.ok()) << f.error().message();
  const Summary s = Summarize(*f);
  bool has_q4k = false;
  for (const auto& t : s.types) has_q4k |= t.type == DType::kQ4_K;
  EXPECT_TRUE(has_q4k);
  EXPECT_EQ(s.context_length, 512u);
}


TEST(GgufReader, CopyTensorsToMemoryConvertsTheTensorsItIsTold) {
  // F32 norm weights become F16 on the way into memory; the rest is copied.
  SHIMMY_REQUIRE_FIXTURES();
  auto f = GgufFile::Open((testing::FixturesDir() / "models" / "stories260K.gguf").string());
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::vector<std::vector<float>> before;
  for (const auto& t : f->tensors()) {
    std::vector<float> v(t.n_bytes / sizeof(float));
    if (t.type == DType::kF32) std::memcpy(v.data(), t.data, t.n_bytes);
    before.push_back(std::move(v));
  }
  const auto is_norm = [](const TensorInfo& t) {
    return t.type == DType::kF32 && t.name.find("norm") != std::string::npos;
  };
  const Summary file_summary = Summarize(*f);
  int converted = 0;
  auto copied = f->CopyTensorsToMemory([&](const TensorInfo& t) -> std::optional<TensorConversion> {
    if (!is_norm(t)) return std::nullopt;
    ++converted;
    const uint64_t n = t.n_elements;
    return TensorConversion{DType::kF16, n * 2, [n](const std::byte* src, std::byte* dst) {
                              for (uint64_t i = 0; i < n; ++i) {
                                float x;
                                std::memcpy(&x, src + 4 * i, 4);
                                const uint16_t h = F32ToF16(x);
                                std::memcpy(dst + 2 * i, &h, 2);
                              }
                            }};
  });
  ASSERT_TRUE(copied.ok()) << copied.error().message();
  ASSERT_GT(converted, 0);
  int seen = 0;
  for (size_t i = 0; i < f->tensors().size(); ++i) {
    const TensorInfo& t = f->tensors()[i];
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % f->alignment(), 0u) << t.name;
    if (t.type != DType::kF16) continue;
    ++seen;
    EXPECT_EQ(t.n_bytes, t.n_elements * 2) << t.name;
    EXPECT_EQ(t.file_n_bytes, t.n_elements * 4) << t.name;
    EXPECT_EQ(t.file_type, DType::kF32) << t.name;
    for (uint64_t k = 0; k < t.n_elements; ++k) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * k, 2);
      ASSERT_EQ(F16ToF32(h), F16ToF32(F32ToF16(before[i][k]))) << t.name << " " << k;
    }
  }
  EXPECT_EQ(seen, converted);
  // What the file holds is still reported as the file has it.
  const Summary summary = Summarize(*f);
  EXPECT_EQ(summary.n_tensor_bytes, file_summary.n_tensor_bytes);
  EXPECT_EQ(summary.dominant_type, file_summary.dominant_type);
  ASSERT_EQ(summary.types.size(), file_summary.types.size());
  for (size_t i = 0; i < summary.types.size(); ++i) {
    EXPECT_EQ(summary.types[i].type, file_summary.types[i].type);
    EXPECT_EQ(summary.types[i].n_bytes, file_summary.types[i].n_bytes);
  }
}

TEST(GgufReader, CopyTensorsToMemoryKeepsEveryByteAndTheAlignment) {
  SHIMMY_REQUIRE_FIXTURES();
  for (const char* name : {"stories260K.gguf", "tiny-random-llama-Q4_K_M.gguf"}) {
    auto f = GgufFile::Open((testing::FixturesDir() / "models" / name).string());
    ASSERT_TRUE(f.ok()) << f.error().message();
    std::vector<std::vector<std::byte>> before;
    uint64_t total = 0;
    for (const auto& t : f->tensors()) {
      before.emplace_back(t.data, t.data + t.n_bytes);
      total += t.n_bytes;
    }
    ASSERT_FALSE(f->tensors_copied());
    auto copied = f->CopyTensorsToMemory();
    ASSERT_TRUE(copied.ok()) << copied.error().message();
    EXPECT_GE(*copied, total);
    ASSERT_TRUE(f->tensors_copied());
    const auto* first_file_byte = f->tensors()[0].data;
    for (size_t i = 0; i < f->tensors().size(); ++i) {
      const TensorInfo& t = f->tensors()[i];
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % f->alignment(), 0u) << t.name;
      ASSERT_EQ(t.n_bytes, before[i].size());
      EXPECT_EQ(std::memcmp(t.data, before[i].data(), t.n_bytes), 0) << name << ": " << t.name;
    }
    // A second call changes nothing.
    auto again = f->CopyTensorsToMemory();
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *copied);
    EXPECT_EQ(f->tensors()[0].data, first_file_byte);
    // Moving the file keeps the copy (and the pointers into it) alive.
    GgufFile moved = std::move(f).value();
    EXPECT_TRUE(moved.tensors_copied());
    EXPECT_EQ(std::memcmp(moved.tensors()[0].data, before[0].data(), before[0].size()), 0);
  }
}

TEST(GgufReader, DropMetadataForgetsOnlyTheNamedKeys) {
  SHIMMY_REQUIRE_FIXTURES();
  auto f = GgufFile::Open((testing::FixturesDir() / "models" / "stories260K.gguf").string());
  ASSERT_TRUE(f.ok()) << f.error().message();
  const size_t n_before = f->metadata().size();
  ASSERT_NE(f->GetArray("tokenizer.ggml.tokens"), nullptr);
  ASSERT_NE(f->GetArray("tokenizer.ggml.scores"), nullptr);
  const std::string arch = f->architecture();
  const auto n_ctx = f->ArchUint("context_length");

  static constexpr std::string_view kKeys[] = {"tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                                               "no.such.key"};
  f->DropMetadata(kKeys);
  EXPECT_EQ(f->metadata().size(), n_before - 2);
  EXPECT_EQ(f->Find("tokenizer.ggml.tokens"), nullptr);
  EXPECT_EQ(f->GetArray("tokenizer.ggml.scores"), nullptr);
  // The index is rebuilt: every remaining key still finds its own value.
  for (const KeyValue& kv : f->metadata()) EXPECT_EQ(f->Find(kv.key), &kv.value) << kv.key;
  EXPECT_EQ(f->architecture(), arch);
  EXPECT_EQ(f->ArchUint("context_length"), n_ctx);
  EXPECT_NE(f->GetArray("tokenizer.ggml.token_type"), nullptr);
}

}  // namespace
}  // namespace shimmy::gguf
