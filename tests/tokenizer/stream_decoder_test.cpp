#include <gtest/gtest.h>

#include "common/fixtures.h"
#include "gguf/gguf_file.h"
#include "base/utf8.h"
#include "tokenizer/tokenizer.h"

namespace shimmy {
namespace {

// Streams the ids of `text` one at a time and checks that no chunk ends in
// the middle of a character and that the chunks add up to the text.
void ExpectWholeCharacters(const Tokenizer& tok, const std::string& text) {
  const auto ids = tok.Encode(text, {.add_special = false});
  StreamDecoder stream(tok);
  std::string joined;
  for (TokenId id : ids) {
    const std::string chunk = stream.Push(id);
    size_t pos = 0;
    while (pos < chunk.size()) {
      const size_t start = pos;
      const char32_t cp = utf8::DecodeOne(chunk, pos);
      ASSERT_FALSE(cp == 0xFFFD && pos - start != 3) << "partial UTF-8 in a chunk";
    }
    joined += chunk;
  }
  joined += stream.Flush();
  EXPECT_EQ(joined, text);
}

TEST(StreamDecoder, SentencePieceByteFallbackKeepsCharactersWhole) {
  SHIMMY_REQUIRE_FIXTURES();
  auto file = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-llama-spm.gguf").string());
  ASSERT_TRUE(file.ok());
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  ExpectWholeCharacters(*tok, "Hello 🦙 world, 你好 — ünïcödé 🦙🦙");
}

TEST(StreamDecoder, ByteLevelBpeKeepsCharactersWhole) {
  SHIMMY_REQUIRE_FIXTURES();
  auto file = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-qwen2.gguf").string());
  ASSERT_TRUE(file.ok());
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message();
  ExpectWholeCharacters(*tok, "Emoji: 🦙🧑‍🤝‍🧑 and CJK 日本語のテキスト");
}

}  // namespace
}  // namespace shimmy
