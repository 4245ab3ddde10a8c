// ChatFormat: a model's template, stop tokens, tool-call format and
// reasoning tags together, and Prepare's choices per request.
#include "chat/chat_format.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/fixtures.h"
#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace shimmy::chat {
namespace {

const char* kTools = R"([{"type":"function","function":{"name":"get_weather",
    "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";

TEST(ChatFormat, QwenFromGgufWritesHermesCallsAndStopsAtImEnd) {
  SHIMMY_REQUIRE_FIXTURES();
  // Qwen2's vocabulary with Qwen2.5's template (which offers tools).
  auto vocab = gguf::GgufFile::Open(
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-qwen2.gguf").string());
  ASSERT_TRUE(vocab.ok());
  gguf::GgufWriter w;
  w.CopyMetadata(*vocab);
  w.Set("tokenizer.chat_template",
        gguf::Value::String(testing::ReadFile(testing::FixturesDir() / "templates" /
                                              "Qwen-Qwen2.5-7B-Instruct.jinja")));
  const std::string path = (testing::TempDir("chat-format") / "qwen25.gguf").string();
  ASSERT_TRUE(w.Write(path).ok());
  auto file = gguf::GgufFile::Open(path);
  ASSERT_TRUE(file.ok());
  auto tok = Tokenizer::FromGguf(*file);
  ASSERT_TRUE(tok.ok());
  auto format = ChatFormat::ForModel(*file, tok->vocab());
  ASSERT_TRUE(format.ok()) << format.error().message();
  EXPECT_EQ(format->tool_format, ToolCallFormat::kHermes);
  const TokenId im_end = tok->vocab().Find("<|im_end|>");
  EXPECT_TRUE(std::binary_search(format->stop_tokens.begin(), format->stop_tokens.end(), im_end));

  ChatInput in;
  in.messages = Json::parse(R"([{"role":"user","content":"Weather in Paris?"}])");
  auto plain = format->Prepare(in);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->output.tool_calls.format, ToolCallFormat::kNone);  // no tools offered

  in.tools = Json::parse(kTools);
  auto turn = format->Prepare(in);
  ASSERT_TRUE(turn.ok()) << turn.error().message();
  EXPECT_NE(turn->prompt.find("get_weather"), std::string::npos);
  EXPECT_EQ(turn->output.tool_calls.format, ToolCallFormat::kHermes);

  // What such a model answers comes back as an OpenAI tool call.
  ParsedOutput out = ParseChatOutput(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
      turn->output);
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_EQ(Json::parse(out.tool_calls[0].arguments), Json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(out.content, "");
}

TEST(ChatFormat, APromptThatOpensThinkingStartsTheAnswerInReasoning) {
  const std::string source =
      "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}<|assistant|><think>\n{% endif %}";
  auto tmpl = ChatTemplate::FromSource(source, "", "");
  ASSERT_TRUE(tmpl.ok());
  ChatFormat format{.tmpl = *tmpl};
  format.reasoning = DetectReasoningTags(source);
  ASSERT_TRUE(format.reasoning.has_value());

  ChatInput in;
  in.messages = Json::parse(R"([{"role":"user","content":"2+2?"}])");
  auto turn = format.Prepare(in);
  ASSERT_TRUE(turn.ok());
  EXPECT_TRUE(turn->output.starts_in_reasoning);
  ParsedOutput out = ParseChatOutput("Add them.</think>4", turn->output);
  EXPECT_EQ(out.reasoning, "Add them.");
  EXPECT_EQ(out.content, "4");

  in.add_generation_prompt = false;
  EXPECT_FALSE(format.Prepare(in)->output.starts_in_reasoning);
}

}  // namespace
}  // namespace shimmy::chat
