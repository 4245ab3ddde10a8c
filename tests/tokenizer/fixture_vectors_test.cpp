// Every vocabulary in fixtures/tokenizer against its .inp/.out test vectors
// (reference implementation's ids, add_special=false, parse_special=false),
// plus decode round trips.
#include <gtest/gtest.h>

#include <sstream>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace shimmy {
namespace {

struct Vectors {
  std::vector<std::string> inputs;
  std::vector<std::vector<TokenId>> expected;
};

Vectors LoadVectors(const std::filesystem::path& gguf) {
  Vectors v;
  const std::string sep = "\n__ggml_vocab_test__\n";
  const std::string inp = testing::ReadFile(gguf.string() + ".inp");
  size_t pos = 0;
  for (size_t at; (at = inp.find(sep, pos)) != std::string::npos; pos = at + sep.size()) {
    v.inputs.push_back(inp.substr(pos, at - pos));
  }
  std::istringstream out(testing::ReadFile(gguf.string() + ".out"));
  for (std::string line; std::getline(out, line);) {
    std::istringstream ids(line);
    std::vector<TokenId> row;
    for (TokenId id; ids >> id;) row.push_back(id);
    v.expected.push_back(std::move(row));
  }
  return v;
}

std::string Join(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s += " " + std::to_string(id);
  return s;
}

class VocabVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabVectors, MatchReferenceIds) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto path = testing::FixturesDir() / "tokenizer" / GetParam();
  auto file = gguf::GgufFile::Open(path.string());
  ASSERT_TRUE(file.ok()) << file.error().message();
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  const Vectors v = LoadVectors(path);
  ASSERT_EQ(v.inputs.size(), v.expected.size());
  ASSERT_GT(v.inputs.size(), 0u);
  size_t passed = 0;
  for (size_t i = 0; i < v.inputs.size(); ++i) {
    const auto ids = tok->Encode(v.inputs[i], {.add_special = false, .parse_special = false});
    if (ids == v.expected[i]) {
      ++passed;
    } else {
      ADD_FAILURE() << GetParam() << " input #" << i << " '" << v.inputs[i] << "'\n  expected"
                    << Join(v.expected[i]) << "\n  got     " << Join(ids);
    }
  }
  std::printf("[ vectors  ] %s: %zu/%zu inputs match\n", GetParam().c_str(), passed,
              v.inputs.size());
  EXPECT_EQ(passed, v.inputs.size());
}

TEST_P(VocabVectors, DecodeOfReferenceIdsRoundTrips) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto path = testing::FixturesDir() / "tokenizer" / GetParam();
  auto file = gguf::GgufFile::Open(path.string());
  ASSERT_TRUE(file.ok()) << file.error().message();
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  const Vectors v = LoadVectors(path);
  const VocabKind kind = tok->vocab().kind;
  // WordPiece and Unigram normalise text (case, accents, whitespace), so
  // only the lossless byte-level and SentencePiece-BPE models must give the
  // input back byte for byte.
  if (kind != VocabKind::kBpe && kind != VocabKind::kSpm) {
    GTEST_SKIP() << GetParam() << ": normalising tokenizer, no exact round trip";
  }
  for (size_t i = 0; i < v.inputs.size(); ++i) {
    if (v.inputs[i].empty()) continue;
    std::string decoded = tok->Decode(v.expected[i]);
    EXPECT_EQ(decoded, v.inputs[i]) << GetParam() << " input #" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllVocabularies, VocabVectors,
    ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
                      "ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf",
                      "ggml-vocab-gpt-2.gguf", "ggml-vocab-deepseek-coder.gguf",
                      "ggml-vocab-falcon.gguf", "ggml-vocab-starcoder.gguf",
                      "ggml-vocab-mpt.gguf", "ggml-vocab-refact.gguf",
                      "ggml-vocab-gpt-neox.gguf", "ggml-vocab-bert-bge.gguf",
                      "ggml-vocab-nomic-bert-moe.gguf"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string name = info.param.substr(11, info.param.size() - 11 - 5);
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace shimmy
