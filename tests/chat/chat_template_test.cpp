// ChatTemplate: fallback formats byte for byte, the model's own template
// from GGUF (and its tool_use variant), message normalisation, BOS and stop
// token detection.
#include "chat/chat_template.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "chat/chat_input.h"
#include "chat/fallback_templates.h"
#include "common/fixtures.h"
#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace shimmy::chat {
namespace {

Json Conversation() {
  return Json::array({{{"role", "system"}, {"content", "Be brief."}},
                      {{"role", "user"}, {"content", "Hi"}},
                      {{"role", "assistant"}, {"content", "Hello!"}},
                      {{"role", "user"}, {"content", "Why?"}}});
}

std::string RenderFallback(const std::string& family, const Json& messages,
                           const std::string& bos = "<s>", const std::string& eos = "</s>") {
  auto t = ChatTemplate::Fallback(family, bos, eos);
  EXPECT_TRUE(t.ok()) << t.error().message();
  if (!t) return "";
  ChatInput in;
  in.messages = messages;
  auto out = t->Render(in);
  EXPECT_TRUE(out.ok()) << out.error().message();
  return out ? *out : "";
}

TEST(Fallback, ChatmlFormat) {
  EXPECT_EQ(RenderFallback("chatml", Conversation()),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n"
            "<|im_start|>user\nWhy?<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(Fallback, Llama2Format) {
  EXPECT_EQ(
      RenderFallback("llama2", Conversation()),
      "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Why? [/INST]");
}

TEST(Fallback, Llama3Format) {
  EXPECT_EQ(RenderFallback("llama3", Conversation(), "<|begin_of_text|>", "<|eot_id|>"),
            "<|begin_of_text|>"
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhy?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(Fallback, MistralFormat) {
  EXPECT_EQ(RenderFallback("mistral", Conversation()),
            "<s>[INST] Hi[/INST] Hello!</s>[INST] Be brief.\n\nWhy?[/INST]");
}

TEST(Fallback, GemmaFormat) {
  EXPECT_EQ(RenderFallback("gemma", Conversation(), "<bos>", "<eos>"),
            "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
            "<start_of_turn>model\nHello!<end_of_turn>\n"
            "<start_of_turn>user\nWhy?<end_of_turn>\n"
            "<start_of_turn>model\n");
}

TEST(Fallback, Phi3Format) {
  EXPECT_EQ(RenderFallback("phi3", Conversation()),
            "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n"
            "<|assistant|>\nHello!<|end|>\n<|user|>\nWhy?<|end|>\n<|assistant|>\n");
}

TEST(Fallback, UnknownFamilyIsAnError) {
  auto t = ChatTemplate::Fallback("nope", "", "");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("nope"), std::string::npos);
}

TEST(Fallback, ChatmlRendersToolsAndToolCallsHermesStyle) {
  auto t = ChatTemplate::Fallback("chatml", "", "");
  ASSERT_TRUE(t.ok());
  ChatInput in;
  in.tools = Json::parse(R"([{"type":"function","function":{"name":"get_weather",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])");
  in.messages = Json::parse(R"([
    {"role":"user","content":"Weather in Paris?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"18C"}])");
  auto out = t->Render(in);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_NE(out->find("<tools>\n{\"type\": \"function\""), std::string::npos) << *out;
  // OpenAI's JSON-text arguments arrive as an object and print as JSON.
  EXPECT_NE(out->find("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>"),
            std::string::npos)
      << *out;
  EXPECT_NE(out->find("<tool_response>\n18C\n</tool_response>"), std::string::npos) << *out;
}

TEST(Normalize, ParsesJsonTextArgumentsAndJoinsTextParts) {
  Json messages = Json::parse(R"([
    {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
    {"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{}}]},
    {"role":"assistant","tool_calls":[
      {"function":{"name":"f","arguments":"{\"x\": 1}"}},
      {"function":{"name":"g","arguments":"not json"}},
      {"function":{"name":"h","arguments":"[1]"}}]}])");
  Json out = NormalizeMessages(messages, true);
  EXPECT_EQ(out[0]["content"], "a\nb");
  EXPECT_TRUE(out[1]["content"].is_array());  // an image part stays
  EXPECT_EQ(out[2]["tool_calls"][0]["function"]["arguments"], Json({{"x", 1}}));
  EXPECT_EQ(out[2]["tool_calls"][1]["function"]["arguments"], "not json");
  EXPECT_EQ(out[2]["tool_calls"][2]["function"]["arguments"], "[1]");
  EXPECT_TRUE(NormalizeMessages(messages, false)[0]["content"].is_array());
}

TEST(ChatTemplateTest, JoinsTextPartsOnlyForTemplatesThatCannotPrintThem) {
  // This template prints content as-is: a list would come out as Python's
  // repr, so the parts are joined first.
  auto plain =
      ChatTemplate::FromSource("{% for m in messages %}[{{ m.content }}]{% endfor %}", "", "");
  ASSERT_TRUE(plain.ok());
  ChatInput in;
  in.messages = Json::parse(
      R"([{"role":"user","content":[{"type":"text","text":"x"},{"type":"text","text":"y"}]}])");
  EXPECT_EQ(*plain->Render(in), "[x\ny]");
  // This one walks the parts itself and keeps its own formatting.
  auto walks = ChatTemplate::FromSource(
      "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}"
      "{% for p in m.content %}<{{ p.text }}>{% endfor %}{% endif %}{% endfor %}",
      "", "");
  ASSERT_TRUE(walks.ok());
  EXPECT_EQ(*walks->Render(in), "<x><y>");
}

TEST(ChatTemplateTest, SyntaxAndRuntimeErrorsAreValues) {
  auto bad = ChatTemplate::FromSource("{% if %}", "", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("line 1"), std::string::npos) << bad.error().message();

  auto raises = ChatTemplate::FromSource(
      "{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}",
      "", "");
  ASSERT_TRUE(raises.ok());
  ChatInput in;
  in.messages = Json::parse(R"([{"role":"assistant","content":"x"}])");
  auto out = raises->Render(in);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message().find("first must be user"), std::string::npos);
  in.messages = "not a list";
  EXPECT_FALSE(raises->Render(in).ok());
}

TEST(ChatTemplateTest, ExtraVariablesReachTheTemplate) {
  auto t = ChatTemplate::FromSource("{{ 'think' if enable_thinking else 'plain' }}|{{ bos_token }}",
                                    "<s>", "</s>");
  ASSERT_TRUE(t.ok());
  ChatInput in;
  EXPECT_EQ(*t->Render(in), "plain|<s>");
  in.extra["enable_thinking"] = true;
  in.extra["bos_token"] = "B";
  EXPECT_EQ(*t->Render(in), "think|B");
}

TEST(ChatTemplateTest, KnowsWhetherItWritesBos) {
  EXPECT_TRUE(ChatTemplate::Fallback("llama3", "<|begin_of_text|>", "")->renders_bos());
  EXPECT_TRUE(ChatTemplate::Fallback("llama2", "<s>", "</s>")->renders_bos());
  EXPECT_FALSE(ChatTemplate::Fallback("chatml", "<s>", "</s>")->renders_bos());
  EXPECT_FALSE(ChatTemplate::Fallback("phi3", "<s>", "</s>")->renders_bos());
}

struct LoadedModel {
  gguf::GgufFile file;
  Tokenizer tokenizer;
};

std::optional<LoadedModel> Load(const std::string& path) {
  auto file = gguf::GgufFile::Open(path);
  if (!file) {
    ADD_FAILURE() << file.error().message();
    return std::nullopt;
  }
  auto tok = Tokenizer::FromGguf(*file);
  if (!tok) {
    ADD_FAILURE() << tok.error().message();
    return std::nullopt;
  }
  return LoadedModel{std::move(*file), std::move(*tok)};
}

std::string Model(const char* name) { return (testing::FixturesDir() / "models" / name).string(); }

std::string Vocab(const char* name) {
  return (testing::FixturesDir() / "tokenizer" / ("ggml-vocab-" + std::string(name) + ".gguf"))
      .string();
}

TEST(ForModel, PicksFallbacksFromTheVocabularyAndArchitecture) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::pair<std::string, const char*> cases[] = {
      {Vocab("llama-bpe"), "llama3"},  // <|start_header_id|> in the vocabulary
      {Vocab("llama-spm"), "llama2"},  // llama + SentencePiece
      {Model("stories260K.gguf"), "llama2"},
      {Model("tiny-random-phi3-F32.gguf"), "phi3"},     // by architecture
      {Model("tiny-random-qwen2-F32.gguf"), "chatml"},  // the default
  };
  for (const auto& [path, family] : cases) {
    auto m = Load(path);
    ASSERT_TRUE(m);
    auto t = ChatTemplate::ForModel(m->file, m->tokenizer.vocab());
    ASSERT_TRUE(t.ok()) << path << ": " << t.error().message();
    EXPECT_EQ(t->name(), family) << path;
  }
}

TEST(ForModel, RealTemplatesFromGgufRenderAndStopAtTheirEndOfTurn) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::pair<const char*, const char*> cases[] = {
      {"qwen2", "<|im_end|>"},
      {"phi-3", "<|end|>"},
  };
  for (const auto& [vocab_name, end_of_turn] : cases) {
    auto m = Load(Vocab(vocab_name));
    ASSERT_TRUE(m);
    const shimmy::Vocab& vocab = m->tokenizer.vocab();
    auto t = ChatTemplate::ForModel(m->file, vocab);
    ASSERT_TRUE(t.ok()) << t.error().message();
    EXPECT_EQ(t->name(), "gguf");
    ChatInput in;
    in.messages = Conversation();
    auto out = t->Render(in);
    ASSERT_TRUE(out.ok()) << out.error().message();
    EXPECT_NE(out->find("Why?"), std::string::npos) << *out;
    EXPECT_NE(out->find(end_of_turn), std::string::npos) << *out;

    const auto stops = StopTokens(vocab, *t);
    const TokenId id = vocab.Find(end_of_turn);
    ASSERT_NE(id, kNoToken) << end_of_turn;
    EXPECT_TRUE(std::binary_search(stops.begin(), stops.end(), id)) << vocab_name;
    for (TokenId eog : vocab.eog) {
      EXPECT_TRUE(std::binary_search(stops.begin(), stops.end(), eog));
    }
    EXPECT_TRUE(std::is_sorted(stops.begin(), stops.end()));
  }
}

TEST(ForModel, UsesTheGgufTemplateAndItsToolUseVariant) {
  SHIMMY_REQUIRE_FIXTURES();
  auto base = gguf::GgufFile::Open(Model("tiny-random-qwen2-F32.gguf"));
  ASSERT_TRUE(base.ok());
  gguf::GgufWriter w;
  w.Set("tokenizer.chat_template",
        gguf::Value::String("{{ bos_token }}{% for m in messages %}{{ m.content }};{% endfor %}"));
  w.Set("tokenizer.chat_template.tool_use", gguf::Value::String("tools:{{ tools | length }}"));
  w.CopyMetadata(*base);
  const std::string path = (testing::TempDir("chat-tool-use") / "with-template.gguf").string();
  ASSERT_TRUE(w.Write(path).ok());

  auto m = Load(path);
  ASSERT_TRUE(m);
  auto t = ChatTemplate::ForModel(m->file, m->tokenizer.vocab());
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->name(), "gguf");
  ChatInput in;
  in.messages = Json::parse(R"([{"role":"user","content":"a"},{"role":"user","content":"b"}])");
  EXPECT_EQ(*t->Render(in), t->bos_token() + "a;b;");
  in.tools = Json::parse(R"([{"type":"function","function":{"name":"f"}}])");
  EXPECT_EQ(*t->Render(in), "tools:1");
}

TEST(ForModel, ABrokenGgufTemplateIsAClearError) {
  SHIMMY_REQUIRE_FIXTURES();
  auto base = gguf::GgufFile::Open(Model("tiny-random-qwen2-F32.gguf"));
  ASSERT_TRUE(base.ok());
  gguf::GgufWriter w;
  w.Set("tokenizer.chat_template", gguf::Value::String("{% for m in messages %}"));
  w.CopyMetadata(*base);
  const std::string path = (testing::TempDir("chat-broken") / "broken.gguf").string();
  ASSERT_TRUE(w.Write(path).ok());
  auto m = Load(path);
  ASSERT_TRUE(m);
  auto t = ChatTemplate::ForModel(m->file, m->tokenizer.vocab());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("chat template"), std::string::npos);
}

}  // namespace
}  // namespace shimmy::chat
