// GgufWriter -> GgufFile round trips: every value type, tensors, alignment,
// split models.
#include <gtest/gtest.h>

#include <numeric>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace shimmy::gguf {
namespace {

std::vector<std::byte> Bytes(size_t n, uint8_t seed) {
  std::vector<std::byte> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>((i * 31 + seed) & 0xFF);
  return b;
}

GgufWriter SampleWriter() {
  GgufWriter w;
  w.Set("general.architecture", Value::String("llama"));
  w.Set("t.u8", Value::U8(200));
  w.Set("t.i8", Value::I8(-100));
  w.Set("t.u16", Value::U16(60000));
  w.Set("t.i16", Value::I16(-30000));
  w.Set("t.u32", Value::U32(4000000000u));
  w.Set("t.i32", Value::I32(-2000000000));
  w.Set("t.u64", Value::U64(1ull << 60));
  w.Set("t.i64", Value::I64(-(1ll << 60)));
  w.Set("t.f32", Value::F32(1.5f));
  w.Set("t.f64", Value::F64(-2.25));
  w.Set("t.bool", Value::Bool(true));
  w.Set("t.string", Value::String("héllo\n"));
  w.Set("t.strings", Value::StringArray({"a", "", "ü🦙"}));
  const std::vector<float> floats{0.5f, -1.0f, 3.25f};
  w.Set("t.floats", Value::F32Array(floats));
  Array inner1;
  inner1.elem_type = ValueType::kString;
  inner1.strings = {"x", "y"};
  Array inner2;
  inner2.elem_type = ValueType::kString;
  inner2.strings = {"z"};
  Array nested;
  nested.elem_type = ValueType::kArray;
  nested.arrays = {Value::OfArray(inner1), Value::OfArray(inner2)};
  w.Set("t.nested", Value::OfArray(nested));
  w.Set("llama.context_length", Value::U32(4096));
  w.AddTensor("a.weight", DType::kF32, {4, 3}, Bytes(48, 1));
  w.AddTensor("b.weight", DType::kQ4_0, {64, 2}, Bytes(4 * 18, 2));
  w.AddTensor("c.weight", DType::kQ6_K, {256}, Bytes(210, 3));
  w.AddTensor("d.bias", DType::kF16, {5}, Bytes(10, 4));
  return w;
}

void ExpectSampleMetadata(const GgufFile& f) {
  EXPECT_EQ(f.GetUint("t.u8"), 200u);
  EXPECT_EQ(f.GetInt("t.i8"), -100);
  EXPECT_EQ(f.GetUint("t.u16"), 60000u);
  EXPECT_EQ(f.GetInt("t.i16"), -30000);
  EXPECT_EQ(f.GetUint("t.u32"), 4000000000u);
  EXPECT_EQ(f.GetInt("t.i32"), -2000000000);
  EXPECT_EQ(f.GetUint("t.u64"), 1ull << 60);
  EXPECT_EQ(f.GetInt("t.i64"), -(1ll << 60));
  EXPECT_EQ(f.GetFloat("t.f32"), 1.5);
  EXPECT_EQ(f.GetFloat("t.f64"), -2.25);
  EXPECT_EQ(f.GetBool("t.bool"), true);
  EXPECT_EQ(f.GetString("t.string"), "héllo\n");
  EXPECT_EQ(f.Find("t.u8")->type(), ValueType::kU8);
  EXPECT_EQ(f.Find("t.f32")->type(), ValueType::kF32);
  const Array* strings = f.GetArray("t.strings");
  ASSERT_NE(strings, nullptr);
  EXPECT_EQ(strings->strings, (std::vector<std::string>{"a", "", "ü🦙"}));
  const Array* floats = f.GetArray("t.floats");
  ASSERT_NE(floats, nullptr);
  ASSERT_EQ(floats->As<float>().size(), 3u);
  EXPECT_EQ(floats->As<float>()[2], 3.25f);
  EXPECT_TRUE(floats->As<int32_t>().empty());
  const Array* nested = f.GetArray("t.nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->size(), 2u);
  EXPECT_EQ(nested->arrays[0].AsArray()->strings, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(nested->arrays[1].AsArray()->strings, (std::vector<std::string>{"z"}));
  EXPECT_EQ(f.ArchUint("context_length"), 4096u);
  // Order of keys is preserved.
  EXPECT_EQ(f.metadata().front().key, "general.architecture");
}

TEST(GgufWriter, RoundTripsEveryValueTypeAndTensors) {
  const auto dir = testing::TempDir("writer");
  const std::string path = (dir / "m.gguf").string();
  ASSERT_TRUE(SampleWriter().Write(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->version(), 3u);
  ExpectSampleMetadata(*f);
  ASSERT_EQ(f->tensors().size(), 4u);
  const TensorInfo* b = f->FindTensor("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, DType::kQ4_0);
  EXPECT_EQ(b->shape, (std::vector<int64_t>{64, 2}));
  EXPECT_EQ(b->n_elements, 128u);
  const auto expected = Bytes(4 * 18, 2);
  ASSERT_EQ(b->n_bytes, expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), b->data));
  for (const auto& t : f->tensors()) {
    EXPECT_EQ(t.offset % kDefaultAlignment, 0u) << t.name;
  }
}

TEST(GgufWriter, CustomAlignmentIsWrittenAndHonoured) {
  const auto dir = testing::TempDir("writer-align");
  const std::string path = (dir / "m.gguf").string();
  GgufWriter w = SampleWriter();
  w.set_alignment(64);
  ASSERT_TRUE(w.Write(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->alignment(), 64u);
  for (const auto& t : f->tensors()) {
    EXPECT_EQ(t.offset % 64, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u) << "data start is aligned too";
  }
}

TEST(GgufWriter, RejectsTensorWhoseBytesDoNotMatchShape) {
  GgufWriter w;
  w.AddTensor("bad", DType::kF32, {4}, Bytes(15, 0));
  auto bytes = w.Serialize();
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.error().message().find("bad"), std::string::npos);
}

TEST(GgufSplit, ShardsOpenAsOneModelFromAnyShard) {
  const auto dir = testing::TempDir("split");
  auto paths = SampleWriter().WriteSplit((dir / "model").string(), 3);
  ASSERT_TRUE(paths.ok()) << paths.error().message();
  ASSERT_EQ(paths->size(), 3u);
  EXPECT_EQ((*paths)[1], (dir / "model-00002-of-00003.gguf").string());
  for (const std::string& p : *paths) {
    auto f = GgufFile::Open(p);
    ASSERT_TRUE(f.ok()) << f.error().message();
    EXPECT_EQ(f->n_shards(), 3u);
    EXPECT_EQ(f->path(), (*paths)[0]);
    ExpectSampleMetadata(*f);
    ASSERT_EQ(f->tensors().size(), 4u);
    const TensorInfo* d = f->FindTensor("d.bias");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->shard, 2u);
    const auto expected = Bytes(10, 4);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), d->data));
  }
  // One shard alone still opens as a single file when asked.
  auto single = GgufFile::OpenSingle((*paths)[1]);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->n_shards(), 1u);
}

TEST(GgufSplit, MissingShardIsAClearError) {
  const auto dir = testing::TempDir("split-missing");
  auto paths = SampleWriter().WriteSplit((dir / "model").string(), 3);
  ASSERT_TRUE(paths.ok());
  std::filesystem::remove((*paths)[2]);
  auto f = GgufFile::Open((*paths)[0]);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("model-00003-of-00003.gguf"), std::string::npos)
      << f.error().message();
}

TEST(GgufSplit, ShardPathsFromName) {
  auto p = SplitShardPaths("/m/Qwen3-235B-Q4_K_M-00002-of-00004.gguf");
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->size(), 4u);
  EXPECT_EQ((*p)[0], "/m/Qwen3-235B-Q4_K_M-00001-of-00004.gguf");
  EXPECT_EQ((*p)[3], "/m/Qwen3-235B-Q4_K_M-00004-of-00004.gguf");
  EXPECT_FALSE(SplitShardPaths("/m/model.gguf").has_value());
  EXPECT_FALSE(SplitShardPaths("/m/model-00005-of-00004.gguf").has_value());
}

TEST(GgufWriter, CopiesARealVocabulary) {
  SHIMMY_REQUIRE_FIXTURES();
  auto src = GgufFile::Open((testing::FixturesDir() / "models" / "stories260K.gguf").string());
  ASSERT_TRUE(src.ok());
  GgufWriter w;
  w.Set("general.architecture", Value::String("llama"));
  w.CopyMetadata(*src, "tokenizer.");
  const auto dir = testing::TempDir("writer-vocab");
  const std::string path = (dir / "v.gguf").string();
  ASSERT_TRUE(w.Write(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->GetArray("tokenizer.ggml.tokens")->strings,
            src->GetArray("tokenizer.ggml.tokens")->strings);
  EXPECT_EQ(f->GetArray("tokenizer.ggml.scores")->packed,
            src->GetArray("tokenizer.ggml.scores")->packed);
}

}  // namespace
}  // namespace shimmy::gguf
