// The corrupt-file corpus: truncations at many offsets, random byte flips
// and crafted hostile headers, over generated files and the fixtures. Every
// case must end in either a successful open or an Error that names the file;
// never a crash, hang or huge allocation (the sanitizer build checks the
// memory side). The counts are printed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace shimmy::gguf {
namespace {

struct Tally {
  size_t cases = 0;
  size_t errors = 0;
  size_t opened = 0;
};

// Opens `path` and checks the outcome is clean. Returns true if it opened.
bool OpenClean(const std::string& path, Tally& tally) {
  ++tally.cases;
  auto f = GgufFile::Open(path);
  if (f.ok()) {
    ++tally.opened;
    // Whatever opened must be internally consistent.
    for (const auto& t : f->tensors()) EXPECT_EQ(t.bytes().size(), t.n_bytes);
    return true;
  }
  ++tally.errors;
  EXPECT_NE(f.error().message().find(path), std::string::npos)
      << "error does not name the file: " << f.error().message();
  return false;
}

std::vector<char> ReadAll(const std::string& path) {
  const std::string s = testing::ReadFile(path);
  return {s.begin(), s.end()};
}

void WriteAll(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Header size: where the tensor data of a valid file begins.
size_t HeaderBytes(const std::string& path) {
  auto f = GgufFile::OpenSingle(path);
  EXPECT_TRUE(f.ok());
  return f.ok() ? static_cast<size_t>(f->data_offset()) : 0;
}

// Truncates a copy of `src` at many lengths: every length in the first
// `n_head` bytes, then `n_spread` spread over the file. Very short files
// must fail.
void TruncationCorpus(const std::string& src, const std::string& work, size_t n_head,
                      size_t n_spread, Tally& tally) {
  const std::vector<char> bytes = ReadAll(src);
  const size_t size = bytes.size();
  std::vector<size_t> lengths;
  for (size_t n = 0; n < std::min<size_t>(size, n_head); ++n) lengths.push_back(n);
  for (size_t i = 1; i <= n_spread; ++i) lengths.push_back(size * i / (n_spread + 1));
  lengths.push_back(size - 1);
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  WriteAll(work, bytes);
  for (auto it = lengths.rbegin(); it != lengths.rend(); ++it) {
    ASSERT_EQ(::truncate(work.c_str(), static_cast<off_t>(*it)), 0);
    const bool opened = OpenClean(work, tally);
    if (*it < 24) {
      EXPECT_FALSE(opened) << "a " << *it << "-byte file cannot be a GGUF file";
    }
  }
}

// Flips random bytes of the header region, one case at a time.
void FlipCorpus(const std::string& src, const std::string& work, size_t n_cases, uint32_t seed,
                Tally& tally) {
  std::vector<char> bytes = ReadAll(src);
  const size_t region = std::min(bytes.size(), HeaderBytes(src));
  std::mt19937 rng(seed);
  WriteAll(work, bytes);
  const int fd = ::open(work.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  for (size_t i = 0; i < n_cases; ++i) {
    const size_t at = rng() % region;
    char flipped = static_cast<char>(bytes[at] ^ static_cast<char>(1u << (rng() % 8)));
    if (rng() % 4 == 0) flipped = static_cast<char>(rng());  // sometimes any value
    ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(at)), 1);
    OpenClean(work, tally);
    ASSERT_EQ(::pwrite(fd, &bytes[at], 1, static_cast<off_t>(at)), 1);
  }
  ::close(fd);
}

GgufWriter SmallModel() {
  GgufWriter w;
  w.Set("general.architecture", Value::String("llama"));
  w.Set("llama.context_length", Value::U32(128));
  w.Set("tokenizer.ggml.tokens", Value::StringArray({"<unk>", "<s>", "</s>", "a", "b"}));
  const std::vector<float> scores{0, 0, 0, -1, -2};
  w.Set("tokenizer.ggml.scores", Value::F32Array(scores));
  std::vector<std::byte> data(32 * 4 * 2, std::byte{7});
  w.AddTensor("w1", DType::kF32, {32, 2}, data);
  w.AddTensor("w2", DType::kQ8_0, {32, 3}, std::vector<std::byte>(34 * 3, std::byte{1}));
  return w;
}

TEST(GgufCorpus, GeneratedFileTruncationsAndFlips) {
  const auto dir = testing::TempDir("corpus-gen");
  const std::string src = (dir / "small.gguf").string();
  ASSERT_TRUE(SmallModel().Write(src).ok());
  Tally tally;
  TruncationCorpus(src, (dir / "work.gguf").string(), 256, 150, tally);
  FlipCorpus(src, (dir / "work.gguf").string(), 2000, 1, tally);
  std::printf("[ corpus   ] generated file: %zu cases, %zu clean errors, %zu opened\n", tally.cases,
              tally.errors, tally.opened);
  EXPECT_GT(tally.errors, tally.cases / 4);
}

TEST(GgufCorpus, FixtureTruncationsAndFlips) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto dir = testing::TempDir("corpus-fixtures");
  const std::string work = (dir / "work.gguf").string();
  Tally tally;
  uint32_t seed = 100;
  for (const char* sub : {"models", "tokenizer"}) {
    for (const auto& e : std::filesystem::directory_iterator(testing::FixturesDir() / sub)) {
      if (e.path().extension() != ".gguf") continue;
      // Vocabularies (30k-250k strings) are costly to re-parse, especially
      // under the sanitizers; the models' headers get the dense pass.
      const bool vocab = std::string(sub) == "tokenizer";
      TruncationCorpus(e.path().string(), work, vocab ? 48 : 256, vocab ? 24 : 150, tally);
      FlipCorpus(e.path().string(), work, vocab ? 12 : 150, seed++, tally);
    }
  }
  std::printf("[ corpus   ] fixtures: %zu cases, %zu clean errors, %zu opened\n", tally.cases,
              tally.errors, tally.opened);
  EXPECT_GT(tally.cases, 10000u);
  EXPECT_GT(tally.errors, 0u);
}

// ---- crafted headers -------------------------------------------------------

class Raw {
 public:
  Raw& U32(uint32_t v) { return Put(&v, 4); }
  Raw& U64(uint64_t v) { return Put(&v, 8); }
  Raw& U8(uint8_t v) { return Put(&v, 1); }
  Raw& Str(const std::string& s) {
    U64(s.size());
    return Put(s.data(), s.size());
  }
  Raw& Header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return U32(kMagic).U32(version).U64(n_tensors).U64(n_kv);
  }
  Raw& Pad(size_t alignment = 32) {
    bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, 0);
    return *this;
  }
  Raw& Zeros(size_t n) {
    bytes_.resize(bytes_.size() + n, 0);
    return *this;
  }
  // name, dims, type, offset
  Raw& Tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, uint64_t off) {
    Str(name).U32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) U64(d);
    return U32(type).U64(off);
  }
  const std::vector<char>& bytes() const { return bytes_; }

 private:
  Raw& Put(const void* p, size_t n) {
    const auto* c = static_cast<const char*>(p);
    bytes_.insert(bytes_.end(), c, c + n);
    return *this;
  }
  std::vector<char> bytes_;
};

struct Crafted {
  const char* name;
  Raw raw;
  const char* expected;  // substring of the error
};

std::vector<Crafted> CraftedCases() {
  const uint32_t kString = 8, kArray = 9, kU32 = 4;
  std::vector<Crafted> c;
  c.push_back({"bad magic", Raw().U32(0x12345678).U32(3).U64(0).U64(0), "not a GGUF file"});
  c.push_back({"version 1", Raw().Header(0, 0, 1), "version 1"});
  c.push_back({"version 99", Raw().Header(0, 0, 99), "unsupported GGUF version"});
  c.push_back({"big endian", Raw().Header(0, 0, 0x03000000), "big-endian"});
  c.push_back({"absurd kv count", Raw().Header(0, 1ull << 60), "metadata count"});
  c.push_back({"absurd tensor count", Raw().Header(1ull << 60, 0), "tensor count"});
  c.push_back({"absurd key length", Raw().Header(0, 1).U64(1ull << 62).Zeros(64),
               "runs past the end"});
  c.push_back({"string past end", Raw().Header(0, 1).Str("k").U32(kString).U64(1000).Zeros(30),
               "runs past the end"});
  c.push_back({"unknown value type", Raw().Header(0, 1).Str("k").U32(77), "unknown value type"});
  c.push_back({"huge array", Raw().Header(0, 1).Str("k").U32(kArray).U32(kU32).U64(1ull << 61),
               "exceeds the bytes left"});
  {
    // Each level: element type "array", one element, which is the next level.
    Raw r = Raw().Header(0, 1).Str("k").U32(kArray);
    for (int i = 0; i < 100; ++i) r.U32(kArray).U64(1);
    c.push_back({"deep nesting", r, "too deep"});
  }
  c.push_back({"duplicate key",
               Raw().Header(0, 2).Str("k").U32(kU32).U32(1).Str("k").U32(kU32).U32(2),
               "duplicate metadata key"});
  c.push_back({"bad alignment",
               Raw().Header(0, 1).Str("general.alignment").U32(kU32).U32(24), "power of two"});
  c.push_back({"bad bool", Raw().Header(0, 1).Str("k").U32(7).U8(5), "bool value"});
  c.push_back({"unknown tensor type", Raw().Header(1, 0).Tensor("t", {32}, 4, 0).Pad().Zeros(64),
               "unknown type"});
  // shimmy's in-memory layouts have ids too, but a file may not claim them.
  c.push_back({"internal tensor type",
               Raw().Header(1, 0).Tensor("t", {256}, static_cast<uint32_t>(DType::kQ4_K_X8), 0).Pad().Zeros(256),
               "unknown type"});
  c.push_back({"five dims", Raw().Header(1, 0).Tensor("t", {1, 1, 1, 1, 1}, 0, 0).Pad().Zeros(64),
               "dimensions"});
  c.push_back({"zero dims", Raw().Header(1, 0).Tensor("t", {}, 0, 0).Pad().Zeros(64),
               "dimensions"});
  c.push_back({"shape overflow",
               Raw().Header(1, 0).Tensor("t", {1ull << 40, 1ull << 40}, 0, 0).Pad().Zeros(64),
               "absurd shape"});
  c.push_back({"row not a block multiple",
               Raw().Header(1, 0).Tensor("t", {33}, 2, 0).Pad().Zeros(64), "block size"});
  c.push_back({"unaligned offset", Raw().Header(1, 0).Tensor("t", {4}, 0, 4).Pad().Zeros(64),
               "not aligned"});
  c.push_back({"offset past end", Raw().Header(1, 0).Tensor("t", {4}, 0, 1024).Pad().Zeros(64),
               "past the end"});
  c.push_back({"data past end", Raw().Header(1, 0).Tensor("t", {1024}, 0, 0).Pad().Zeros(64),
               "past the end"});
  c.push_back({"overlapping tensors",
               Raw().Header(2, 0).Tensor("a", {16}, 0, 0).Tensor("b", {16}, 0, 32).Pad().Zeros(128),
               "overlap"});
  c.push_back({"duplicate tensor",
               Raw().Header(2, 0).Tensor("a", {8}, 0, 0).Tensor("a", {8}, 0, 32).Pad().Zeros(128),
               "duplicate tensor name"});
  c.push_back({"absurd tensor name", Raw().Header(1, 0).U64(1ull << 50).Zeros(64),
               "runs past the end"});
  return c;
}

TEST(GgufCorpus, CraftedHeadersGiveTheRightError) {
  const auto dir = testing::TempDir("corpus-crafted");
  size_t n = 0;
  for (const Crafted& c : CraftedCases()) {
    const std::string path = (dir / "crafted.gguf").string();
    WriteAll(path, c.raw.bytes());
    auto f = GgufFile::Open(path);
    ASSERT_FALSE(f.ok()) << c.name << " opened";
    EXPECT_NE(f.error().message().find(c.expected), std::string::npos)
        << c.name << ": " << f.error().message();
    EXPECT_NE(f.error().message().find(path), std::string::npos) << c.name;
    ++n;
  }
  std::printf("[ corpus   ] crafted headers: %zu cases, %zu clean errors\n", n, n);
}

TEST(GgufCorpus, ValidCraftedFileOpens) {
  // The same builder produces a valid file, so the cases above fail for the
  // reason they name and not for a mistake in the builder.
  const auto dir = testing::TempDir("corpus-valid");
  const std::string path = (dir / "ok.gguf").string();
  WriteAll(path, Raw().Header(2, 1).Str("k").U32(4).U32(1).Tensor("a", {8}, 0, 0).Tensor(
                          "b", {32}, 8, 32).Pad().Zeros(32 + 34).bytes());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->tensors().size(), 2u);
}

}  // namespace
}  // namespace shimmy::gguf
