// The OpenAI dialect's answer shapes, built from service results without a
// model: chunk and response objects, usage equal to the final's numbers,
// finish_reason passed through, tool calls, both logprobs shapes,
// embeddings (float and base64), model lists, error envelopes.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "common/fixtures.h"
#include "server/api_openai.h"

namespace shimmy::server {
namespace {

namespace http = boost::beast::http;

const ResponseMeta kMeta{.id = "chatcmpl-abc", .created = 1700000000, .model = "tiny:latest"};

CompletionFinal TwoChoices() {
  CompletionFinal f;
  f.model = "tiny:latest";
  f.prompt_tokens = 7;
  f.cached_tokens = 3;
  f.completion_tokens = 5;
  ChoiceFinal text;
  text.finish_reason = "length";
  text.content = "Hello there";
  text.reasoning = "The user greets.";
  ChoiceFinal tools;
  tools.finish_reason = "tool_calls";
  tools.tool_calls = {{.id = "call_1", .name = "get_weather", .arguments = "{\"city\":\"Oslo\"}"}};
  f.choices = {text, tools};
  return f;
}

// A token table for logprobs: id -> text (id 9 is half of a UTF-8 "é").
std::string TokenText(TokenId id) {
  switch (id) {
    case 1:
      return "Hel";
    case 2:
      return "lo";
    case 3:
      return " world";
    case 9:
      return std::string("\xC3", 1);
    default:
      return "<" + std::to_string(id) + ">";
  }
}

chat::OutputDelta Content(std::string text) {
  chat::OutputDelta d;
  d.content = std::move(text);
  return d;
}

SampleLogprobs Lp(TokenId id, float lp, std::vector<TokenLogprob> top = {}) {
  return {.chosen = {.id = id, .logprob = lp}, .top = std::move(top)};
}

TEST(OpenAiBuild, ChatChunkShape) {
  OJson c = ChatChunk(kMeta, 2, ChatDeltaJson(Content("Hi"), false), nullptr, "");
  EXPECT_EQ(c["id"], "chatcmpl-abc");
  EXPECT_EQ(c["object"], "chat.completion.chunk");
  EXPECT_EQ(c["created"], 1700000000);
  EXPECT_EQ(c["model"], "tiny:latest");
  ASSERT_EQ(c["choices"].size(), 1u);
  EXPECT_EQ(c["choices"][0]["index"], 2);
  EXPECT_EQ(c["choices"][0]["delta"], OJson({{"content", "Hi"}}));
  EXPECT_TRUE(c["choices"][0]["logprobs"].is_null());
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());

  OJson last = ChatChunk(kMeta, 0, OJson::object(), nullptr, "length");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(last["choices"][0]["delta"], OJson::object());
}

TEST(OpenAiBuild, ChatDeltas) {
  OJson first = ChatDeltaJson({}, true);
  EXPECT_EQ(first, OJson({{"role", "assistant"}, {"content", ""}}));

  chat::OutputDelta d;
  d.reasoning = "hmm";
  d.tool_calls = {{.index = 1, .id = "call_9", .name = "f", .arguments = "{\"a\":"},
                  {.index = 1, .id = "", .name = "", .arguments = "2}"}};
  OJson j = ChatDeltaJson(d, false);
  EXPECT_FALSE(j.contains("role"));
  EXPECT_FALSE(j.contains("content"));  // nothing to say: no empty string
  EXPECT_EQ(j["reasoning_content"], "hmm");
  ASSERT_EQ(j["tool_calls"].size(), 2u);
  EXPECT_EQ(j["tool_calls"][0], OJson({{"index", 1},
                                       {"id", "call_9"},
                                       {"type", "function"},
                                       {"function", {{"name", "f"}, {"arguments", "{\"a\":"}}}}));
  // A continuation piece carries only the index and the fragment.
  EXPECT_EQ(j["tool_calls"][1], OJson({{"index", 1}, {"function", {{"arguments", "2}"}}}}));
}

TEST(OpenAiBuild, ChatCompletionResponse) {
  const CompletionFinal f = TwoChoices();
  OJson r = ChatCompletionJson(kMeta, f, {});
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["id"], kMeta.id);
  ASSERT_EQ(r["choices"].size(), 2u);

  const OJson& c0 = r["choices"][0];
  EXPECT_EQ(c0["index"], 0);
  EXPECT_EQ(c0["finish_reason"], "length");
  EXPECT_EQ(c0["message"]["role"], "assistant");
  EXPECT_EQ(c0["message"]["content"], "Hello there");
  EXPECT_EQ(c0["message"]["reasoning_content"], "The user greets.");
  EXPECT_FALSE(c0["message"].contains("tool_calls"));
  EXPECT_TRUE(c0["logprobs"].is_null());

  const OJson& c1 = r["choices"][1];
  EXPECT_EQ(c1["index"], 1);
  EXPECT_EQ(c1["finish_reason"], "tool_calls");
  EXPECT_TRUE(c1["message"]["content"].is_null());  // only tool calls
  EXPECT_FALSE(c1["message"].contains("reasoning_content"));
  ASSERT_EQ(c1["message"]["tool_calls"].size(), 1u);
  const OJson& call = c1["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"], "call_1");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(call["function"]["arguments"], "{\"city\":\"Oslo\"}");  // JSON text, as OpenAI

  EXPECT_EQ(r["usage"]["prompt_tokens"], f.prompt_tokens);
  EXPECT_EQ(r["usage"]["completion_tokens"], f.completion_tokens);
  EXPECT_EQ(r["usage"]["total_tokens"], f.prompt_tokens + f.completion_tokens);
  EXPECT_EQ(r["usage"]["prompt_tokens_details"]["cached_tokens"], f.cached_tokens);

  // Logprobs go to their own choice.
  std::vector<OJson> lps = {{{"content", OJson::array({1})}}, {{"content", OJson::array({2})}}};
  r = ChatCompletionJson(kMeta, f, lps);
  EXPECT_EQ(r["choices"][0]["logprobs"], lps[0]);
  EXPECT_EQ(r["choices"][1]["logprobs"], lps[1]);
}

TEST(OpenAiBuild, UsageChunks) {
  const CompletionFinal f = TwoChoices();
  for (const OJson& u : {ChatUsageChunk(kMeta, f), TextUsageChunk(kMeta, f)}) {
    EXPECT_EQ(u["choices"], OJson::array());
    EXPECT_EQ(u["usage"], UsageJson(f));
    EXPECT_EQ(u["id"], kMeta.id);
  }
  EXPECT_EQ(ChatUsageChunk(kMeta, f)["object"], "chat.completion.chunk");
  EXPECT_EQ(TextUsageChunk(kMeta, f)["object"], "text_completion");
  EXPECT_EQ(UsageJson(f)["total_tokens"], 12);
}

TEST(OpenAiBuild, TextCompletionShapes) {
  OJson c = TextCompletionChunk(kMeta, 1, "piece", nullptr, "");
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(
      c["choices"][0],
      OJson({{"text", "piece"}, {"index", 1}, {"logprobs", nullptr}, {"finish_reason", nullptr}}));
  const CompletionFinal f = TwoChoices();
  OJson r = TextCompletionJson(kMeta, f, {});
  EXPECT_EQ(r["object"], "text_completion");
  ASSERT_EQ(r["choices"].size(), 2u);
  EXPECT_EQ(r["choices"][0]["text"], "Hello there");
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r["choices"][1]["finish_reason"], "tool_calls");
  EXPECT_EQ(r["usage"], UsageJson(f));
}

TEST(OpenAiBuild, ChatLogprobs) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<SampleLogprobs> lps = {
      Lp(1, -0.5f, {{.id = 1, .logprob = -0.5f}, {.id = 3, .logprob = -2.0f}}), Lp(9, -inf)};
  OJson content = ChatLogprobsContent(lps, TokenText);
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0]["token"], "Hel");
  EXPECT_DOUBLE_EQ(content[0]["logprob"].get<double>(), -0.5);
  EXPECT_EQ(content[0]["bytes"], OJson({72, 101, 108}));
  ASSERT_EQ(content[0]["top_logprobs"].size(), 2u);
  EXPECT_EQ(content[0]["top_logprobs"][1]["token"], " world");
  EXPECT_DOUBLE_EQ(content[0]["top_logprobs"][1]["logprob"].get<double>(), -2.0);
  EXPECT_EQ(content[0]["top_logprobs"][1]["bytes"].size(), 6u);
  // An impossible token: OpenAI's -9999; half a character: exact bytes.
  EXPECT_DOUBLE_EQ(content[1]["logprob"].get<double>(), -9999.0);
  EXPECT_EQ(content[1]["bytes"], OJson({0xC3}));
  EXPECT_EQ(content[1]["top_logprobs"], OJson::array());
  // ...and serialising it does not throw (U+FFFD stands in).
  const std::string text = DumpJson(content);
  EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(OpenAiBuild, LegacyLogprobs) {
  size_t offset = 4;  // e.g. after an echoed prompt
  std::vector<SampleLogprobs> a = {Lp(1, -0.1f, {{.id = 1, .logprob = -0.1f}}), Lp(2, -0.2f)};
  OJson first = LegacyLogprobs(a, TokenText, &offset);
  EXPECT_EQ(first["tokens"], OJson({"Hel", "lo"}));
  EXPECT_EQ(first["text_offset"], OJson({4, 7}));
  EXPECT_EQ(offset, 9u);
  EXPECT_NEAR(first["token_logprobs"][1].get<double>(), -0.2, 1e-6);
  EXPECT_NEAR(first["top_logprobs"][0]["Hel"].get<double>(), -0.1, 1e-6);
  EXPECT_EQ(first["top_logprobs"][1], OJson::object());

  std::vector<SampleLogprobs> b = {Lp(3, -1.0f)};
  OJson all = nullptr;
  AppendLegacyLogprobs(all, first);
  AppendLegacyLogprobs(all, LegacyLogprobs(b, TokenText, &offset));
  EXPECT_EQ(all["tokens"], OJson({"Hel", "lo", " world"}));
  EXPECT_EQ(all["text_offset"], OJson({4, 7, 9}));
  EXPECT_EQ(all["token_logprobs"].size(), 3u);
  EXPECT_EQ(all["top_logprobs"].size(), 3u);
}

TEST(OpenAiBuild, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(OpenAiBuild, Embeddings) {
  EmbeddingResult e;
  e.model = "emb:latest";
  e.vectors = {{1.0f, -2.5f}, {0.0f, 0.5f}};
  e.prompt_tokens = 6;
  OJson r = EmbeddingsJson(e, false);
  EXPECT_EQ(r["object"], "list");
  EXPECT_EQ(r["model"], "emb:latest");
  ASSERT_EQ(r["data"].size(), 2u);
  EXPECT_EQ(r["data"][1]["object"], "embedding");
  EXPECT_EQ(r["data"][1]["index"], 1);
  EXPECT_EQ(r["data"][0]["embedding"], OJson({1.0, -2.5}));
  EXPECT_EQ(r["usage"], OJson({{"prompt_tokens", 6}, {"total_tokens", 6}}));

  // float32 little-endian: 1.0 = 00 00 80 3F, -2.5 = 00 00 20 C0.
  OJson b = EmbeddingsJson(e, true);
  EXPECT_EQ(b["data"][0]["embedding"],
            Base64Encode(std::string("\x00\x00\x80\x3f\x00\x00\x20\xc0", 8)));
  EXPECT_EQ(b["data"][0]["embedding"], "AACAPwAAIMA=");
}

TEST(OpenAiBuild, ModelList) {
  const auto dir = testing::TempDir("openai-models");
  const auto file = dir / "tiny.gguf";
  std::ofstream(file) << "x";
  const auto when = std::chrono::sys_seconds(std::chrono::seconds(1600000000));
  std::filesystem::last_write_time(file, std::chrono::file_clock::from_sys(when));

  auto entry = [&](std::string name, discovery::ModelKind kind, std::string path) {
    discovery::ModelEntry e;
    e.name = std::move(name);
    e.path = std::move(path);
    e.facts.kind = kind;
    return e;
  };
  discovery::Registry registry(
      {entry("tiny:latest", discovery::ModelKind::kLlm, file.string()),
       entry("emb:latest", discovery::ModelKind::kEmbedding, (dir / "gone.gguf").string()),
       entry("proj:latest", discovery::ModelKind::kMmproj, file.string()),
       entry("lora:latest", discovery::ModelKind::kLora, file.string())});
  OJson list = ModelListJson(registry);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 2u);
  EXPECT_EQ(list["data"][0], OJson({{"id", "tiny:latest"},
                                    {"object", "model"},
                                    {"created", 1600000000},
                                    {"owned_by", "shimmy"}}));
  EXPECT_EQ(list["data"][1]["id"], "emb:latest");
  EXPECT_EQ(list["data"][1]["created"], 0);  // no file to read a time from
  std::filesystem::remove_all(dir);
}

TEST(OpenAiBuild, ErrorEnvelopeAndIds) {
  OJson e =
      OpenAiError(http::status::bad_request, "'n' must be between 1 and 16", "n", "invalid_value");
  EXPECT_EQ(e, OJson({{"error",
                       {{"message", "'n' must be between 1 and 16"},
                        {"type", "invalid_request_error"},
                        {"param", "n"},
                        {"code", "invalid_value"}}}}));
  OJson nf = OpenAiError(http::status::not_found, "no such model");
  EXPECT_TRUE(nf["error"]["param"].is_null());
  EXPECT_TRUE(nf["error"]["code"].is_null());
  EXPECT_EQ(nf["error"]["type"], "not_found_error");

  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    const std::string id = NewResponseId("chatcmpl-");
    ASSERT_EQ(id.rfind("chatcmpl-", 0), 0u);
    ASSERT_EQ(id.size(), 9u + 24u);
    for (char c : id.substr(9)) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(SseChunk({{"a", 1}}), "data: {\"a\":1}\n\n");
}

}  // namespace
}  // namespace shimmy::server
