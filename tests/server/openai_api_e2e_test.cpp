// The OpenAI routes through a real server and a fixture model: streamed
// chat equals the whole answer (n > 1, include_usage, one id, role first,
// [DONE] last), logprobs that describe the tokens really sent, echo and
// legacy logprobs, json_object output, embeddings (float, base64,
// dimensions), the model routes and validation errors over HTTP.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

#include "common/fixtures.h"
#include "discovery/classify.h"
#include "server/api_openai.h"
#include "server/completion_service.h"
#include "server/model_stack.h"
#include "server/test_client.h"

namespace shimmy::testing {
namespace {

using nlohmann::json;

// stories260K and a tiny qwen2 behind the OpenAI routes.
struct OpenAiStack : ModelStack {
  OpenAiStack()
      : ModelStack({FixtureEntry("stories", "stories260K.gguf"),
                    FixtureEntry("qwen-tiny", "tiny-random-qwen2-F32.gguf")},
                   4, [](server::Router& r, server::CompletionService& s,
                         const runtime::ModelPool&) { server::AddOpenAiRoutes(r, s); }) {}
};

// The "data: ..." payloads of an SSE body, in order ("[DONE]" as text).
std::vector<std::string> Events(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end + 2;
  }
  return out;
}

const json kStory = {{"role", "user"}, {"content", "Tell me a story"}};

TEST(OpenAiEndToEnd, StreamedChatEqualsTheWholeAnswer) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  json body = {{"model", "stories"},
               {"messages", {kStory}},
               {"max_tokens", 12},
               {"temperature", 0},
               {"n", 2}};
  auto whole = s.Post("/v1/chat/completions", body);
  ASSERT_EQ(whole.result_int(), 200) << whole.body();
  const json w = Json(whole);
  ASSERT_EQ(w["choices"].size(), 2u);

  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto streamed = s.Post("/v1/chat/completions", body);
  ASSERT_EQ(streamed.result_int(), 200) << streamed.body();
  EXPECT_EQ(streamed[http::field::content_type], "text/event-stream");
  const auto events = Events(streamed.body());
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");

  std::string id;
  std::map<int, std::string> content, finish;
  std::map<int, bool> role_first;
  json usage;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    if (id.empty()) id = chunk["id"];
    EXPECT_EQ(chunk["id"], id);  // one id for the whole stream
    EXPECT_EQ(chunk["model"], "stories");
    if (chunk["choices"].empty()) {
      usage = chunk["usage"];
      EXPECT_EQ(i + 2, events.size()) << "usage comes last, before [DONE]";
      continue;
    }
    EXPECT_TRUE(chunk["usage"].is_null());
    for (const json& c : chunk["choices"]) {
      const int index = c["index"];
      if (!role_first.count(index)) role_first[index] = c["delta"].value("role", "") == "assistant";
      if (c["delta"].contains("content"))
        content[index] += c["delta"]["content"].get<std::string>();
      if (c["finish_reason"].is_string()) finish[index] = c["finish_reason"];
    }
  }
  EXPECT_EQ(id.rfind("chatcmpl-", 0), 0u) << id;
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(role_first[i]) << i;
    EXPECT_EQ(content[i], w["choices"][i]["message"]["content"]) << i;
    EXPECT_EQ(finish[i], w["choices"][i]["finish_reason"]) << i;
  }
  ASSERT_TRUE(usage.is_object()) << streamed.body();
  EXPECT_EQ(usage["prompt_tokens"], w["usage"]["prompt_tokens"]);
  EXPECT_EQ(usage["completion_tokens"], w["usage"]["completion_tokens"]);
  EXPECT_EQ(usage["total_tokens"],
            usage["prompt_tokens"].get<int>() + usage["completion_tokens"].get<int>());
}

TEST(OpenAiEndToEnd, ChatLogprobsDescribeTheTokensSent) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  auto r = s.Post("/v1/chat/completions", {{"model", "stories"},
                                           {"messages", {kStory}},
                                           {"max_tokens", 8},
                                           {"temperature", 0},
                                           {"logprobs", true},
                                           {"top_logprobs", 3}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const json j = Json(r);
  const json& choice = j["choices"][0];
  const json& entries = choice["logprobs"]["content"];
  ASSERT_TRUE(entries.is_array()) << r.body();
  ASSERT_FALSE(entries.empty());
  EXPECT_LE(entries.size(), j["usage"]["completion_tokens"].get<size_t>());
  std::string joined;
  for (const json& e : entries) {
    joined += e["token"].get<std::string>();
    // bytes are the token's own bytes.
    std::string bytes;
    for (int b : e["bytes"]) bytes += static_cast<char>(b);
    EXPECT_EQ(bytes, e["token"].get<std::string>());
    // Greedy picks the most likely token, so it heads its alternatives.
    ASSERT_EQ(e["top_logprobs"].size(), 3u);
    EXPECT_EQ(e["top_logprobs"][0]["token"], e["token"]);
    EXPECT_DOUBLE_EQ(e["top_logprobs"][0]["logprob"].get<double>(), e["logprob"].get<double>());
    EXPECT_LE(e["logprob"].get<double>(), 0.0);
    EXPECT_GE(e["top_logprobs"][0]["logprob"].get<double>(),
              e["top_logprobs"][1]["logprob"].get<double>());
  }
  // The tokens spell the answer (a SentencePiece leading space aside).
  const std::string content = choice["message"]["content"];
  EXPECT_NE(joined.find(content.substr(content.find_first_not_of(' '))), std::string::npos)
      << "tokens: '" << joined << "' content: '" << content << "'";
}

TEST(OpenAiEndToEnd, CompletionEchoAndLegacyLogprobs) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  const std::string prompt = "Once upon a time";
  auto r = s.Post("/v1/completions", {{"model", "stories"},
                                      {"prompt", prompt},
                                      {"max_tokens", 5},
                                      {"temperature", 0},
                                      {"echo", true},
                                      {"logprobs", 2}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const json j = Json(r);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  const json& c = j["choices"][0];
  const std::string text = c["text"];
  EXPECT_EQ(text.rfind(prompt, 0), 0u) << text;
  EXPECT_GT(text.size(), prompt.size());
  const json& lp = c["logprobs"];
  ASSERT_FALSE(lp["tokens"].empty()) << r.body();
  ASSERT_EQ(lp["tokens"].size(), lp["token_logprobs"].size());
  ASSERT_EQ(lp["tokens"].size(), lp["top_logprobs"].size());
  ASSERT_EQ(lp["tokens"].size(), lp["text_offset"].size());
  EXPECT_EQ(lp["text_offset"][0], prompt.size());  // generated tokens start after the echo
  for (size_t i = 1; i < lp["tokens"].size(); ++i) {
    EXPECT_EQ(
        lp["text_offset"][i].get<size_t>(),
        lp["text_offset"][i - 1].get<size_t>() + lp["tokens"][i - 1].get<std::string>().size());
  }
  EXPECT_LE(lp["top_logprobs"][0].size(), 2u);
  EXPECT_TRUE(lp["top_logprobs"][0].contains(lp["tokens"][0].get<std::string>()));
}

TEST(OpenAiEndToEnd, JsonObjectResponseFormatGivesAnObject) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  auto r = s.Post("/v1/chat/completions", {{"model", "stories"},
                                           {"messages", {kStory}},
                                           {"max_tokens", 40},
                                           {"seed", 7},
                                           {"response_format", {{"type", "json_object"}}}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const std::string content = Json(r)["choices"][0]["message"]["content"];
  const json parsed = json::parse(content, nullptr, false);
  EXPECT_TRUE(parsed.is_object()) << content;
}

TEST(OpenAiEndToEnd, Embeddings) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  auto r = s.Post("/v1/embeddings", {{"model", "stories"}, {"input", {"a cat", "a dog"}}});
  ASSERT_EQ(r.result_int(), 200) << r.body();
  const json j = Json(r);
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["index"], 1);
  const std::vector<float> v = j["data"][0]["embedding"];
  ASSERT_EQ(v.size(), 64u);  // stories260K's n_embd
  double norm = 0;
  for (float x : v) norm += double(x) * x;
  EXPECT_NEAR(norm, 1.0, 1e-4);  // normalised
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 2);

  // base64 carries the same floats.
  auto b = s.Post("/v1/embeddings", {{"model", "stories"},
                                     {"input", "a cat"},
                                     {"encoding_format", "base64"},
                                     {"dimensions", 64}});
  ASSERT_EQ(b.result_int(), 200) << b.body();
  std::string raw;
  for (float x : v) raw.append(reinterpret_cast<const char*>(&x), 4);  // x86: little-endian
  EXPECT_EQ(Json(b)["data"][0]["embedding"], server::Base64Encode(raw));

  auto bad = s.Post("/v1/embeddings", {{"model", "stories"}, {"input", "x"}, {"dimensions", 32}});
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_EQ(Json(bad)["error"]["param"], "dimensions");
  auto tokens = s.Post("/v1/embeddings", {{"model", "stories"}, {"input", {1, 2, 3}}});
  EXPECT_EQ(tokens.result_int(), 400);
  EXPECT_EQ(Json(tokens)["error"]["param"], "input");
}

TEST(OpenAiEndToEnd, ModelRoutes) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  auto list = s.Get("/v1/models");
  ASSERT_EQ(list.result_int(), 200);
  const json l = Json(list);
  EXPECT_EQ(l["object"], "list");
  ASSERT_EQ(l["data"].size(), 2u);
  for (const json& m : l["data"]) {
    EXPECT_EQ(m["object"], "model");
    EXPECT_EQ(m["owned_by"], "shimmy");
    EXPECT_GT(m["created"].get<int64_t>(), 0);  // the fixture's mtime
  }
  auto one = s.Get("/v1/models/stories");
  ASSERT_EQ(one.result_int(), 200);
  EXPECT_EQ(Json(one)["id"], "stories");
  EXPECT_EQ(Json(s.Get("/v1/models/st%6Fries?x=1"))["id"], "stories");  // escaped, with a query
  auto missing = s.Get("/v1/models/nope");
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(Json(missing)["error"]["code"], "model_not_found");
  EXPECT_EQ(Json(missing)["error"]["type"], "not_found_error");
  EXPECT_EQ(s.pool->stats().loads, 0u);  // listing loads nothing
}

TEST(OpenAiEndToEnd, ErrorsOverHttpAreOpenAiEnvelopes) {
  SHIMMY_REQUIRE_FIXTURES();
  OpenAiStack s;
  auto hot = s.Post("/v1/chat/completions",
                    {{"model", "stories"}, {"messages", {kStory}}, {"temperature", 5}});
  EXPECT_EQ(hot.result_int(), 400);
  EXPECT_EQ(Json(hot)["error"]["param"], "temperature");
  EXPECT_EQ(Json(hot)["error"]["type"], "invalid_request_error");
  auto no_messages = s.Post("/v1/chat/completions", {{"model", "stories"}});
  EXPECT_EQ(Json(no_messages)["error"]["param"], "messages");
  auto unknown = s.Post("/v1/chat/completions", {{"model", "nope"}, {"messages", {kStory}}});
  EXPECT_EQ(unknown.result_int(), 404);
  EXPECT_EQ(Json(unknown)["error"]["code"], "model_not_found");
  // An unknown model in a stream is still a plain JSON answer: nothing began.
  auto unknown_stream =
      s.Post("/v1/completions", {{"model", "nope"}, {"prompt", "x"}, {"stream", true}});
  EXPECT_EQ(unknown_stream.result_int(), 404);
  EXPECT_EQ(unknown_stream[http::field::content_type], "application/json");
  TestClient c(s.server->endpoint().port());
  auto array = c.Request(http::verb::post, "/v1/completions", "[1,2]");
  EXPECT_EQ(array.result_int(), 400);
  EXPECT_TRUE(Json(array)["error"].is_object());
}

}  // namespace
}  // namespace shimmy::testing
