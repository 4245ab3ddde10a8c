// The Ollama dialect's pure parts: request bodies -> CompletionRequest and
// service events -> NDJSON lines / JSON answers (model listings are in
// ollama_models_test.cpp). No model is loaded here; ollama_api_e2e_test.cpp
// runs the routes on fixtures.
#include <gtest/gtest.h>

#include <cmath>

#include "server/api_ollama.h"

namespace shimmy::server::ollama {
namespace {

using namespace std::chrono_literals;

OJson J(const char* text) { return OJson::parse(text); }

GenerateRequest Generate(const char* body, const discovery::OllamaDefaults& d = {}) {
  auto r = ParseGenerate(J(body), d);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : GenerateRequest{};
}

std::string GenerateError(const char* body, const discovery::OllamaDefaults& d = {}) {
  auto r = ParseGenerate(J(body), d);
  return r.ok() ? "(accepted)" : r.error().message();
}

std::string ChatError(const char* body) {
  auto r = ParseChat(J(body), {});
  return r.ok() ? "(accepted)" : r.error().message();
}

TEST(OllamaParse, GenerateDefaultsAreOllamas) {
  const GenerateRequest r = Generate(R"({"model":"m","prompt":"Why?"})");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.completion.model, "m");
  EXPECT_TRUE(r.stream);  // Ollama streams unless told not to
  EXPECT_FALSE(r.load_only);
  EXPECT_FALSE(r.num_ctx.has_value());
  EXPECT_FALSE(r.completion.keep_alive.has_value());
  const SamplingParams& s = r.completion.gen.sampling;
  EXPECT_FLOAT_EQ(s.temperature, 0.8f);
  EXPECT_EQ(s.top_k, 40);
  EXPECT_FLOAT_EQ(s.top_p, 0.9f);
  EXPECT_FLOAT_EQ(s.min_p, 0.0f);
  EXPECT_FLOAT_EQ(s.repeat_penalty, 1.1f);
  EXPECT_EQ(s.penalty_last_n, 64);
  EXPECT_FALSE(s.seed.has_value());
  EXPECT_EQ(r.completion.gen.max_tokens, 0);
  ASSERT_TRUE(r.completion.chat.has_value());
  EXPECT_EQ(r.completion.chat->messages, J(R"([{"role":"user","content":"Why?"}])"));
  EXPECT_FALSE(r.completion.json_object);
  EXPECT_FALSE(r.completion.json_schema.has_value());
}

TEST(OllamaParse, EveryOptionMaps) {
  const GenerateRequest r = Generate(R"({"model":"m","prompt":"p","options":{
      "temperature":0.25,"top_k":7.0,"top_p":0.5,"min_p":0.05,"num_predict":12,
      "stop":["a","","b"],"seed":42,"repeat_penalty":1.3,"repeat_last_n":-1,
      "presence_penalty":0.4,"frequency_penalty":-0.2,"num_ctx":128,
      "num_gpu":99,"mirostat":2}})");
  const SamplingParams& s = r.completion.gen.sampling;
  EXPECT_FLOAT_EQ(s.temperature, 0.25f);
  EXPECT_EQ(s.top_k, 7);  // an integral float is an integer
  EXPECT_FLOAT_EQ(s.top_p, 0.5f);
  EXPECT_FLOAT_EQ(s.min_p, 0.05f);
  EXPECT_EQ(r.completion.gen.max_tokens, 12);
  EXPECT_EQ(r.completion.gen.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.seed, std::optional<uint64_t>(42));
  EXPECT_FLOAT_EQ(s.repeat_penalty, 1.3f);
  EXPECT_LT(s.penalty_last_n, 0);  // -1: the whole context
  EXPECT_FLOAT_EQ(s.presence_penalty, 0.4f);
  EXPECT_FLOAT_EQ(s.frequency_penalty, -0.2f);
  EXPECT_EQ(r.num_ctx, std::optional<int>(128));
}

TEST(OllamaParse, NumPredictAndSeedSpecialValues) {
  EXPECT_EQ(Generate(R"({"model":"m","options":{"num_predict":-1}})").completion.gen.max_tokens, 0);
  EXPECT_EQ(Generate(R"({"model":"m","options":{"num_predict":-2}})").completion.gen.max_tokens, 0);
  EXPECT_EQ(Generate(R"({"model":"m","options":{"num_predict":0}})").completion.gen.max_tokens, 0);
  EXPECT_FALSE(
      Generate(R"({"model":"m","options":{"seed":-1}})").completion.gen.sampling.seed.has_value());
  EXPECT_EQ(Generate(R"({"model":"m","options":{"stop":"END"}})").completion.gen.stop,
            std::vector<std::string>{"END"});
}

TEST(OllamaParse, OptionErrorsNameTheField) {
  EXPECT_NE(
      GenerateError(R"({"model":"m","options":{"temperature":"hot"}})").find("options.temperature"),
      std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","options":{"top_p":1.5}})").find("options.top_p"),
            std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","options":{"top_k":1.5}})").find("options.top_k"),
            std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","options":{"num_ctx":0}})").find("options.num_ctx"),
            std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","options":{"stop":[1]}})").find("options.stop"),
            std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","options":[1]})").find("options"), std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","stream":"yes"})").find("stream"), std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":"m","prompt":5})").find("prompt"), std::string::npos);
  EXPECT_NE(GenerateError(R"({"prompt":"x"})").find("model is required"), std::string::npos);
  EXPECT_NE(GenerateError(R"({"model":""})").find("model"), std::string::npos);
}

TEST(OllamaParse, ModelParamsUnderRequestOptions) {
  discovery::OllamaDefaults d;
  d.params_json = R"({"temperature":0.2,"top_k":5,"stop":["<|im_end|>"]})";
  const GenerateRequest r = Generate(R"({"model":"m","options":{"temperature":0.5}})", d);
  EXPECT_FLOAT_EQ(r.completion.gen.sampling.temperature, 0.5f);  // the request wins
  EXPECT_EQ(r.completion.gen.sampling.top_k, 5);                 // the model's layer
  EXPECT_EQ(r.completion.gen.stop, std::vector<std::string>{"<|im_end|>"});
  EXPECT_FLOAT_EQ(r.completion.gen.sampling.top_p, 0.9f);  // Ollama's default
  d.params_json = "not json";  // a broken layer is ignored, not a failed request
  EXPECT_FLOAT_EQ(Generate(R"({"model":"m"})", d).completion.gen.sampling.temperature, 0.8f);
}

TEST(OllamaParse, SystemAndRaw) {
  discovery::OllamaDefaults d;
  d.system = "Be brief.";
  EXPECT_EQ(Generate(R"({"model":"m","prompt":"hi"})", d).completion.chat->messages,
            J(R"([{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}])"));
  EXPECT_EQ(
      Generate(R"({"model":"m","prompt":"hi","system":"Rhyme."})", d).completion.chat->messages,
      J(R"([{"role":"system","content":"Rhyme."},{"role":"user","content":"hi"}])"));
  const GenerateRequest raw = Generate(R"({"model":"m","prompt":"[INST] hi","raw":true})", d);
  EXPECT_FALSE(raw.completion.chat.has_value());
  EXPECT_EQ(raw.completion.prompt, "[INST] hi");
  // template, suffix and context are accepted and ignored.
  EXPECT_EQ(GenerateError(R"({"model":"m","prompt":"x","template":"{{.Prompt}}","suffix":"y",
                              "context":[1,2]})"),
            "(accepted)");
}

TEST(OllamaParse, EmptyPromptIsALoadAndKeepAliveForms) {
  EXPECT_TRUE(Generate(R"({"model":"m"})").load_only);
  EXPECT_TRUE(Generate(R"({"model":"m","prompt":""})").load_only);
  EXPECT_EQ(Generate(R"({"model":"m","keep_alive":0})").completion.keep_alive,
            std::optional<std::chrono::milliseconds>(0ms));
  EXPECT_EQ(Generate(R"({"model":"m","keep_alive":"5m"})").completion.keep_alive,
            std::optional<std::chrono::milliseconds>(5min));
  EXPECT_LT(Generate(R"({"model":"m","keep_alive":-1})").completion.keep_alive->count(), 0);
  EXPECT_NE(GenerateError(R"({"model":"m","keep_alive":"soon"})").find("keep_alive"),
            std::string::npos);
}

TEST(OllamaParse, FormatThinkAndImages) {
  EXPECT_TRUE(Generate(R"({"model":"m","format":"json"})").completion.json_object);
  const auto schema =
      Generate(R"({"model":"m","format":{"type":"object"}})").completion.json_schema;
  ASSERT_TRUE(schema.has_value());
  EXPECT_EQ((*schema)["type"], "object");
  // The client's property order survives (the grammar writes properties in it).
  const auto ordered = Generate(R"({"model":"m","format":{"properties":{"zeta":{},"alpha":{}}}})")
                           .completion.json_schema;
  ASSERT_TRUE(ordered.has_value());
  EXPECT_EQ(ordered->dump(), R"({"properties":{"zeta":{},"alpha":{}}})");
  EXPECT_FALSE(Generate(R"({"model":"m","format":""})").completion.json_object);
  EXPECT_NE(GenerateError(R"({"model":"m","format":"xml"})").find("format"), std::string::npos);

  const auto think = Generate(R"({"model":"m","prompt":"x","think":true})");
  EXPECT_EQ(think.completion.chat->extra["enable_thinking"], true);
  const auto level = Generate(R"({"model":"m","prompt":"x","think":"high"})");
  EXPECT_EQ(level.completion.chat->extra["reasoning_effort"], "high");
  EXPECT_NE(GenerateError(R"({"model":"m","prompt":"x","think":"max"})").find("think"),
            std::string::npos);

  EXPECT_NE(GenerateError(R"({"model":"m","prompt":"x","images":["aGk="]})").find("images"),
            std::string::npos);
  EXPECT_EQ(GenerateError(R"({"model":"m","prompt":"x","images":[]})"), "(accepted)");
}

TEST(OllamaParse, ChatMessagesBecomeOpenAiShaped) {
  auto r = ParseChat(J(R"({"model":"m","stream":false,"think":false,
      "tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object"}}}],
      "messages":[
        {"role":"user","content":"Weather in Paris?"},
        {"role":"assistant","content":"","thinking":"use the tool",
         "tool_calls":[{"function":{"name":"weather","arguments":{"city":"Paris"}}}]},
        {"role":"tool","content":"sunny","tool_name":"weather"}]})"),
                     {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->load_only);
  const chat::ChatInput& in = *r->completion.chat;
  EXPECT_EQ(in.extra["enable_thinking"], false);
  EXPECT_EQ(in.tools[0]["function"]["name"], "weather");
  ASSERT_EQ(in.messages.size(), 3u);
  EXPECT_EQ(in.messages[1], J(R"({"role":"assistant","content":"",
      "reasoning_content":"use the tool","thinking":"use the tool",
      "tool_calls":[{"type":"function","function":{"name":"weather","arguments":{"city":"Paris"}}}]})"));
  EXPECT_EQ(in.messages[2], J(R"({"role":"tool","content":"sunny","name":"weather"})"));
}

TEST(OllamaParse, ChatDefaultsAndErrors) {
  discovery::OllamaDefaults d;
  d.system = "S";
  auto with_default =
      ParseChat(J(R"({"model":"m","messages":[{"role":"user","content":"u"}]})"), d);
  ASSERT_TRUE(with_default.ok());
  EXPECT_EQ(with_default->completion.chat->messages[0], J(R"({"role":"system","content":"S"})"));
  auto own = ParseChat(
      J(R"({"model":"m","messages":[{"role":"system","content":"mine"},{"role":"user"}]})"), d);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->completion.chat->messages.size(), 2u);  // no second system message
  EXPECT_EQ(own->completion.chat->messages[1]["content"], "");

  EXPECT_TRUE(ParseChat(J(R"({"model":"m"})"), {})->load_only);
  EXPECT_TRUE(ParseChat(J(R"({"model":"m","messages":[]})"), {})->load_only);
  EXPECT_NE(ChatError(R"({"model":"m","messages":{}})").find("messages"), std::string::npos);
  EXPECT_NE(ChatError(R"({"model":"m","messages":[{"role":"user","content":5}]})")
                .find("messages[0].content"),
            std::string::npos);
  EXPECT_NE(ChatError(R"({"model":"m","messages":[{"content":"x"}]})").find("messages[0].role"),
            std::string::npos);
  EXPECT_NE(ChatError(R"({"model":"m","messages":[{"role":"user","images":["x"]}]})")
                .find("messages[0].images"),
            std::string::npos);
  EXPECT_NE(ChatError(R"({"model":"m","messages":[{"role":"assistant",
                "tool_calls":[{"function":{"arguments":{}}}]}]})")
                .find("messages[0].tool_calls[0].function.name"),
            std::string::npos);
  EXPECT_NE(ChatError(R"({"model":"m","tools":{}})").find("tools"), std::string::npos);
}

TEST(OllamaParse, Embed) {
  auto one = ParseEmbed(J(R"({"model":"e","input":"hello"})"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->inputs, std::vector<std::string>{"hello"});
  EXPECT_TRUE(one->truncate);
  EXPECT_FALSE(one->legacy);
  auto many = ParseEmbed(J(R"({"model":"e","input":["a","b"],"truncate":false,"dimensions":8,
                               "keep_alive":"1m"})"));
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(many->truncate);
  EXPECT_EQ(many->dimensions, std::optional<int>(8));
  EXPECT_EQ(many->keep_alive, std::optional<std::chrono::milliseconds>(1min));
  EXPECT_TRUE(ParseEmbed(J(R"({"model":"e"})"))->inputs.empty());
  EXPECT_FALSE(ParseEmbed(J(R"({"model":"e","input":5})")).ok());
  EXPECT_FALSE(ParseEmbed(J(R"({"model":"e","input":"x","dimensions":0})")).ok());
  auto legacy = ParseLegacyEmbedding(J(R"({"model":"e","prompt":"hi"})"));
  ASSERT_TRUE(legacy.ok());
  EXPECT_TRUE(legacy->legacy);
  EXPECT_EQ(legacy->inputs, std::vector<std::string>{"hi"});
}

// ---- Answers ---------------------------------------------------------------

Clock::time_point At(int64_t seconds, int64_t nanos = 0) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)));
}

TEST(OllamaAnswer, Rfc3339) {
  EXPECT_EQ(Rfc3339(At(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(At(1714557600)), "2024-05-01T10:00:00Z");
  EXPECT_EQ(Rfc3339(At(1714557600, 500'000'000)), "2024-05-01T10:00:00.5Z");
  EXPECT_EQ(Rfc3339(At(1714557600, 123'456'789)), "2024-05-01T10:00:00.123456789Z");
}

CompletionFinal Final(std::string finish, std::string content = "", std::string reasoning = "",
                      std::vector<chat::ToolCall> calls = {}) {
  CompletionFinal f;
  f.model = "resolved";
  ChoiceFinal c;
  c.finish_reason = std::move(finish);
  c.content = std::move(content);
  c.reasoning = std::move(reasoning);
  c.tool_calls = std::move(calls);
  f.choices.push_back(c);
  f.prompt_tokens = 11;
  f.completion_tokens = 4;
  f.load_ms = 2.5;
  f.prompt_ms = 1.25;
  f.decode_ms = 10;
  f.total_ms = 14.000001;
  return f;
}

// Every NDJSON line is one JSON object and ends in exactly one newline.
OJson Line(const std::string& text) {
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  return OJson::parse(text);
}

TEST(OllamaAnswer, GenerateStream) {
  ResponseWriter w(Endpoint::kGenerate, "llama3", true, [] { return At(1714557600); });
  chat::OutputDelta d;
  d.content = "Once";
  EXPECT_EQ(
      w.Delta(d),
      R"({"model":"llama3","created_at":"2024-05-01T10:00:00Z","response":"Once","done":false})"
      "\n");
  EXPECT_EQ(w.Delta(chat::OutputDelta{}), "");  // nothing to say: no line
  chat::OutputDelta think;
  think.reasoning = "hmm";
  EXPECT_EQ(Line(w.Delta(think))["thinking"], "hmm");

  const OJson last = Line(w.Final(Final("stop", "Once upon"), false));
  EXPECT_EQ(last["response"], "");  // the text went out in the deltas
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "stop");
  EXPECT_EQ(last["total_duration"], 14000001);
  EXPECT_EQ(last["load_duration"], 2500000);
  EXPECT_EQ(last["prompt_eval_count"], 11);
  EXPECT_EQ(last["prompt_eval_duration"], 1250000);
  EXPECT_EQ(last["eval_count"], 4);
  EXPECT_EQ(last["eval_duration"], 10000000);
  EXPECT_FALSE(last.contains("context"));
  EXPECT_EQ(Line(w.Final(Final("length"), false))["done_reason"], "length");
  EXPECT_EQ(Line(w.Final(Final("cancelled"), true))["done_reason"], "length");  // num_ctx cap
  EXPECT_EQ(Line(w.Error("boom")), J(R"({"error":"boom"})"));
}

TEST(OllamaAnswer, GenerateWhole) {
  ResponseWriter w(Endpoint::kGenerate, "m", false, [] { return At(0); });
  chat::OutputDelta d;
  d.content = "x";
  EXPECT_EQ(w.Delta(d), "");  // not streamed: the answer comes from the final
  const std::string body = w.Final(Final("stop", "Once upon", "thought"), false);
  EXPECT_NE(body.back(), '\n');
  const OJson j = OJson::parse(body);
  EXPECT_EQ(j["response"], "Once upon");
  EXPECT_EQ(j["thinking"], "thought");
  EXPECT_EQ(j["done"], true);
  EXPECT_EQ(j["model"], "m");
  // Ollama's key order: model, created_at, response, done, done_reason, stats.
  EXPECT_EQ(j.begin().key(), "model");
  EXPECT_EQ(std::next(j.begin(), 2).key(), "response");
}

TEST(OllamaAnswer, ChatStreamAndWholeWithToolCalls) {
  ResponseWriter w(Endpoint::kChat, "qwen", true, [] { return At(0); });
  chat::OutputDelta d;
  d.tool_calls.push_back(
      {.index = 0, .id = "call_1", .name = "weather", .arguments = R"({"city":"Paris"})"});
  const OJson line = Line(w.Delta(d));
  EXPECT_EQ(line["message"], J(R"({"role":"assistant","content":"","tool_calls":[
      {"id":"call_1","function":{"index":0,"name":"weather","arguments":{"city":"Paris"}}}]})"));
  EXPECT_EQ(line["done"], false);
  chat::OutputDelta text;
  text.content = "Hi";
  text.reasoning = "r";
  EXPECT_EQ(Line(w.Delta(text))["message"],
            J(R"({"role":"assistant","content":"Hi","thinking":"r"})"));
  const std::vector<chat::ToolCall> calls = {{"call_1", "weather", R"({"city":"Paris"})"}};
  const OJson last = Line(w.Final(Final("tool_calls", "Hi", "r", calls), false));
  EXPECT_EQ(last["message"], J(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(last["done_reason"], "stop");  // Ollama has no reason for tool calls

  ResponseWriter whole(Endpoint::kChat, "qwen", false, [] { return At(0); });
  const OJson j = OJson::parse(whole.Final(Final("tool_calls", "Hi", "r", calls), false));
  EXPECT_EQ(j["message"]["content"], "Hi");
  EXPECT_EQ(j["message"]["thinking"], "r");
  EXPECT_EQ(j["message"]["tool_calls"][0]["function"]["arguments"]["city"], "Paris");
  EXPECT_EQ(j["eval_count"], 4);
}

TEST(OllamaAnswer, LoadAnswers) {
  ResponseWriter g(Endpoint::kGenerate, "m", true, [] { return At(0); });
  EXPECT_EQ(g.LoadAnswer("load"),
            J(R"({"model":"m","created_at":"1970-01-01T00:00:00Z","response":"","done":true,
                  "done_reason":"load"})"));
  ResponseWriter c(Endpoint::kChat, "m", true, [] { return At(0); });
  EXPECT_EQ(c.LoadAnswer("unload")["message"], J(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(c.LoadAnswer("unload")["done_reason"], "unload");
}

TEST(OllamaAnswer, EmbedAnswers) {
  EmbeddingResult r;
  r.vectors = {{3, 4, 12}, {1, 0, 0}};
  r.prompt_tokens = 5;
  r.load_ms = 1;
  r.total_ms = 3;
  EmbedRequest req;
  req.model = "e";
  auto full = EmbedJson(req, r);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ((*full)["embeddings"][0], J("[3.0,4.0,12.0]"));  // the service normalises
  EXPECT_EQ((*full)["prompt_eval_count"], 5);
  EXPECT_EQ((*full)["total_duration"], 3000000);
  EXPECT_EQ((*full)["load_duration"], 1000000);
  req.dimensions = 2;  // cut, then unit length again: (3,4)/5
  auto cut = EmbedJson(req, r);
  ASSERT_TRUE(cut.ok());
  EXPECT_NEAR((*cut)["embeddings"][0][0].get<double>(), 0.6, 1e-6);
  EXPECT_NEAR((*cut)["embeddings"][0][1].get<double>(), 0.8, 1e-6);
  EXPECT_EQ((*cut)["embeddings"][0].size(), 2u);
  req.dimensions = 4;
  EXPECT_FALSE(EmbedJson(req, r).ok());
  req.dimensions.reset();
  req.legacy = true;
  EXPECT_EQ(*EmbedJson(req, r), J(R"({"embedding":[3.0,4.0,12.0]})"));
  EXPECT_EQ(*EmbedJson(req, EmbeddingResult{}), J(R"({"embedding":[]})"));
}

TEST(OllamaAnswer, FloatsPrintShortest) {
  EXPECT_EQ(Dump(FloatJson(0.1f)), "0.1");
  EXPECT_EQ(Dump(FloatJson(1e-5f)), "1e-05");
  EXPECT_TRUE(FloatJson(INFINITY).is_null());
}

TEST(OllamaRoutes, UrlDecode) {
  EXPECT_EQ(UrlDecode("qwen3%3A4b"), "qwen3:4b");
  EXPECT_EQ(UrlDecode("a%2Fb%zz%4"), "a/b%zz%4");
}

}  // namespace
}  // namespace shimmy::server::ollama
