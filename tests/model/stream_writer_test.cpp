// GgufStreamWriter (src/gguf), which the random model writer streams
// through: byte-identical to GgufWriter for the same content, pieces of any
// size, and no file left behind when the data is incomplete.
// (Lives here beside its main user; it only needs shimmy_gguf.)
#include <gtest/gtest.h>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace shimmy::gguf {
namespace {

std::vector<std::byte> Bytes(size_t n, uint8_t seed) {
  std::vector<std::byte> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>((i * 7 + seed) & 0xFF);
  return b;
}

TEST(GgufStreamWriter, WritesTheSameBytesAsGgufWriterInPiecesOfAnySize) {
  const auto dir = testing::TempDir("stream-writer");
  for (uint32_t alignment : {32u, 64u}) {
    GgufWriter w;
    w.set_alignment(alignment);
    w.Set("general.architecture", Value::String("llama"));
    w.Set("t.floats", Value::F32Array(std::vector<float>{1.0f, 2.5f}));
    const std::vector<TensorDecl> decls = {
        {"a", DType::kF32, {5, 3}}, {"b", DType::kQ4_0, {64, 2}}, {"c", DType::kF16, {7}}};
    std::vector<std::vector<std::byte>> data = {Bytes(60, 1), Bytes(72, 2), Bytes(14, 3)};
    for (size_t i = 0; i < decls.size(); ++i) w.AddTensor(decls[i].name, decls[i].type, decls[i].shape, data[i]);
    const std::string want_path = (dir / "want.gguf").string();
    ASSERT_TRUE(w.Write(want_path).ok());

    const std::string path = (dir / "stream.gguf").string();
    auto s = GgufStreamWriter::Open(path, w, decls);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ((*s)->tensor_bytes(1), 72u);
    // Pieces that straddle tensor boundaries: 50, then 50, then the rest.
    std::vector<std::byte> all;
    for (const auto& d : data) all.insert(all.end(), d.begin(), d.end());
    const std::span<const std::byte> span(all);
    ASSERT_TRUE((*s)->Append(span.subspan(0, 50)).ok());
    ASSERT_TRUE((*s)->Append(span.subspan(50, 50)).ok());
    ASSERT_TRUE((*s)->Append(span.subspan(100)).ok());
    ASSERT_TRUE((*s)->Finish().ok());
    s->reset();
    EXPECT_EQ(testing::ReadFile(path), testing::ReadFile(want_path)) << "alignment " << alignment;
    auto f = GgufFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.error().message();
    EXPECT_EQ(f->alignment(), alignment);
  }
}

TEST(GgufStreamWriter, RejectsWrongAmountsOfDataAndRemovesTheFile) {
  const auto dir = testing::TempDir("stream-writer-errors");
  GgufWriter meta;
  meta.Set("general.architecture", Value::String("llama"));
  const std::string path = (dir / "m.gguf").string();
  {
    auto s = GgufStreamWriter::Open(path, meta, {{"a", DType::kF32, {4}}});
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE((*s)->Append(Bytes(20, 0)).ok()) << "more bytes than declared";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    auto s = GgufStreamWriter::Open(path, meta, {{"a", DType::kF32, {4}}, {"b", DType::kF32, {2}}});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Append(Bytes(16, 0)).ok());
    const Status st = (*s)->Finish();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find("'b'"), std::string::npos) << st.error().message();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(GgufStreamWriter::Open(path, meta, {{"q", DType::kQ4_K, {100, 2}}}).ok())
      << "rows that do not fill whole blocks";
}

}  // namespace
}  // namespace shimmy::gguf
