// The OpenAI dialect's pure parts: request JSON -> CompletionRequest (every
// field, the defaults, errors naming their param) and service results ->
// OpenAI JSON (object names, usage, finish_reason, tool_calls, logprobs,
// embeddings, model lists). No model is needed.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "common/fixtures.h"
#include "server/api_openai.h"

namespace shimmy::server {
namespace {

namespace http = boost::beast::http;

OJson Chat(OJson extra = OJson::object()) {
  OJson body = {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  return body;
}

// The param a rejected body names (and that it was rejected at all).
std::string RejectedParam(const OJson& body, bool chat = true) {
  ParamError pe;
  auto r = chat ? ParseChatCompletionRequest(body, &pe) : ParseCompletionRequest(body, &pe);
  if (r) return "(accepted)";
  EXPECT_FALSE(r.error().message().empty());
  return pe.param;
}

TEST(OpenAiParse, ChatDefaults) {
  ParamError pe;
  auto r = ParseChatCompletionRequest(Chat(), &pe);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->include_usage);
  const CompletionRequest& c = r->completion;
  EXPECT_EQ(c.model, "tiny");
  EXPECT_FLOAT_EQ(c.gen.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(c.gen.sampling.top_p, 1.0f);
  EXPECT_EQ(c.gen.sampling.top_k, 0);
  EXPECT_FALSE(c.gen.sampling.seed.has_value());
  EXPECT_EQ(c.gen.max_tokens, 0);  // up to the context
  EXPECT_EQ(c.n, 1);
  EXPECT_FALSE(c.gen.logprobs);
  EXPECT_TRUE(c.gen.stop.empty());
  EXPECT_FALSE(c.json_schema.has_value());
  EXPECT_FALSE(c.json_object);
  ASSERT_TRUE(c.chat.has_value());
  EXPECT_EQ(c.chat->messages, Chat()["messages"]);
  EXPECT_TRUE(c.chat->tools.is_null());
  EXPECT_TRUE(c.prompt.empty());
}

TEST(OpenAiParse, ChatSamplingFieldsMap) {
  auto r = ParseChatCompletionRequest(Chat({{"temperature", 0.25},
                                            {"top_p", 0.9},
                                            {"top_k", 40},
                                            {"min_p", 0.05},
                                            {"presence_penalty", 0.5},
                                            {"frequency_penalty", -0.5},
                                            {"repeat_penalty", 1.1},
                                            {"seed", 42},
                                            {"stop", {"a", "", "b"}},
                                            {"n", 3},
                                            {"max_tokens", 10},
                                            {"logprobs", true},
                                            {"top_logprobs", 5},
                                            {"logit_bias", {{"15", 2.5}, {"7", -100}}},
                                            {"stream", true},
                                            {"stream_options", {{"include_usage", true}}},
                                            {"keep_alive", "5m"}}),
                                      nullptr);
  ASSERT_TRUE(r) << r.error().message();
  const CompletionRequest& c = r->completion;
  const SamplingParams& s = c.gen.sampling;
  EXPECT_FLOAT_EQ(s.temperature, 0.25f);
  EXPECT_FLOAT_EQ(s.top_p, 0.9f);
  EXPECT_EQ(s.top_k, 40);
  EXPECT_FLOAT_EQ(s.min_p, 0.05f);
  EXPECT_FLOAT_EQ(s.presence_penalty, 0.5f);
  EXPECT_FLOAT_EQ(s.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(s.repeat_penalty, 1.1f);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(c.gen.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.gen.max_tokens, 10);
  EXPECT_TRUE(c.gen.logprobs);
  EXPECT_EQ(s.n_top_logprobs, 5);
  ASSERT_EQ(s.logit_bias.size(), 2u);
  EXPECT_FLOAT_EQ(s.logit_bias.at(15), 2.5f);
  EXPECT_TRUE(std::isinf(s.logit_bias.at(7)) && s.logit_bias.at(7) < 0);  // -100 bans
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_EQ(c.keep_alive, std::chrono::minutes(5));
}

TEST(OpenAiParse, SmallerFieldVariants) {
  // max_completion_tokens wins over the deprecated max_tokens.
  auto r =
      ParseChatCompletionRequest(Chat({{"max_tokens", 10}, {"max_completion_tokens", 7}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.gen.max_tokens, 7);
  // stop as one string; include_usage means nothing without a stream.
  r = ParseChatCompletionRequest(
      Chat({{"stop", "END"}, {"stream_options", {{"include_usage", true}}}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.gen.stop, std::vector<std::string>{"END"});
  EXPECT_FALSE(r->include_usage);
  // Temperature 0 (greedy) is allowed; an integral float is an integer.
  r = ParseChatCompletionRequest(Chat({{"temperature", 0}, {"n", 2.0}, {"seed", -1}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.gen.sampling.temperature, 0.0f);
  EXPECT_EQ(r->completion.n, 2);
  EXPECT_EQ(r->completion.gen.sampling.seed, std::numeric_limits<uint64_t>::max());
  // Explicit nulls mean "not given".
  r = ParseChatCompletionRequest(Chat({{"temperature", nullptr}, {"stop", nullptr}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_FLOAT_EQ(r->completion.gen.sampling.temperature, 1.0f);
}

TEST(OpenAiParse, MessagesPassThroughInOpenAiShape) {
  OJson messages = {
      {{"role", "developer"}, {"content", "Be brief."}},
      {{"role", "user"},
       {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}},
      {{"role", "assistant"},
       {"content", nullptr},
       {"tool_calls",
        {{{"id", "call_1"},
          {"type", "function"},
          {"function", {{"name", "f"}, {"arguments", "{\"x\":1}"}}}}}}},
      {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "2"}}};
  auto r = ParseChatCompletionRequest(Chat({{"messages", messages}}), nullptr);
  ASSERT_TRUE(r) << r.error().message();
  const OJson& got = r->completion.chat->messages;
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0]["role"], "system");  // templates know system, not developer
  EXPECT_EQ(got[0]["content"], "Be brief.");
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(got[i], messages[i]) << i;
}

TEST(OpenAiParse, ToolsAndToolChoice) {
  OJson tools = {
      {{"type", "function"}, {"function", {{"name", "get_weather"}, {"parameters", {}}}}},
      {{"type", "function"}, {"function", {{"name", "get_time"}}}}};
  auto r = ParseChatCompletionRequest(Chat({{"tools", tools}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.chat->tools, tools);
  r = ParseChatCompletionRequest(Chat({{"tools", tools}, {"tool_choice", "required"}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.chat->tools, tools);
  r = ParseChatCompletionRequest(Chat({{"tools", tools}, {"tool_choice", "none"}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->completion.chat->tools.is_null());
  r = ParseChatCompletionRequest(
      Chat({{"tools", tools},
            {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_time"}}}}}}),
      nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.chat->tools, OJson::array({tools[1]}));
  EXPECT_EQ(RejectedParam(
                Chat({{"tools", tools},
                      {"tool_choice", {{"type", "function"}, {"function", {{"name", "nope"}}}}}})),
            "tool_choice");
  EXPECT_EQ(RejectedParam(Chat({{"tools", tools}, {"tool_choice", "sometimes"}})), "tool_choice");
  EXPECT_EQ(RejectedParam(Chat({{"tools", {{{"type", "function"}, {"function", {}}}}}})),
            "tools[0].function.name");
  EXPECT_EQ(RejectedParam(Chat({{"tools", "get_weather"}})), "tools");
}

TEST(OpenAiParse, ResponseFormat) {
  auto r = ParseChatCompletionRequest(Chat({{"response_format", {{"type", "text"}}}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->completion.json_object);
  EXPECT_FALSE(r->completion.json_schema.has_value());

  r = ParseChatCompletionRequest(Chat({{"response_format", {{"type", "json_object"}}}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->completion.json_object);

  OJson schema = {
      {"type", "object"},
      {"properties", {{"zeta", {{"type", "string"}}}, {"alpha", {{"type", "integer"}}}}},
      {"required", {"zeta", "alpha"}}};
  r = ParseChatCompletionRequest(
      Chat({{"response_format",
             {{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", schema}}}}}}),
      nullptr);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->completion.json_schema.has_value());
  // Property order is kept: the grammar generates "zeta" before "alpha".
  EXPECT_EQ(r->completion.json_schema->dump(), schema.dump());
  EXPECT_FALSE(r->completion.json_object);

  EXPECT_EQ(RejectedParam(Chat({{"response_format", {{"type", "yaml"}}}})), "response_format.type");
  EXPECT_EQ(RejectedParam(Chat({{"response_format", "json"}})), "response_format");
  EXPECT_EQ(RejectedParam(Chat({{"response_format", {{"type", "json_schema"}}}})),
            "response_format.json_schema");
  EXPECT_EQ(RejectedParam(Chat({{"response_format",
                                 {{"type", "json_schema"}, {"json_schema", {{"name", "x"}}}}}})),
            "response_format.json_schema.schema");
}

TEST(OpenAiParse, ChatErrorsNameTheParam) {
  OJson no_model = Chat();
  no_model.erase("model");
  EXPECT_EQ(RejectedParam(no_model), "model");
  EXPECT_EQ(RejectedParam(Chat({{"model", ""}})), "model");
  EXPECT_EQ(RejectedParam(Chat({{"model", 3}})), "model");
  OJson no_messages = Chat();
  no_messages.erase("messages");
  EXPECT_EQ(RejectedParam(no_messages), "messages");
  EXPECT_EQ(RejectedParam(Chat({{"messages", "Hi"}})), "messages");
  EXPECT_EQ(RejectedParam(Chat({{"messages", OJson::array()}})), "messages");
  EXPECT_EQ(RejectedParam(Chat({{"messages", {{{"content", "x"}}}}})), "messages[0].role");
  EXPECT_EQ(RejectedParam(Chat({{"messages", {{{"role", "wizard"}, {"content", "x"}}}}})),
            "messages[0].role");
  EXPECT_EQ(RejectedParam(
                Chat({{"messages", {{{"role", "user"}, {"content", "x"}}, {{"role", "user"}}}}})),
            "messages[1].content");
  EXPECT_EQ(RejectedParam(Chat({{"messages", {{{"role", "user"}, {"content", 5}}}}})),
            "messages[0].content");
  EXPECT_EQ(RejectedParam(
                Chat({{"messages",
                       {{{"role", "user"},
                         {"content",
                          {{{"type", "text"}, {"text", "what is this?"}},
                           {{"type", "image_url"}, {"image_url", {{"url", "data:..."}}}}}}}}}})),
            "messages[0].content[1].type");
  EXPECT_EQ(RejectedParam(Chat({{"temperature", 2.5}})), "temperature");
  EXPECT_EQ(RejectedParam(Chat({{"temperature", -0.1}})), "temperature");
  EXPECT_EQ(RejectedParam(Chat({{"temperature", "hot"}})), "temperature");
  EXPECT_EQ(RejectedParam(Chat({{"top_p", 1.5}})), "top_p");
  EXPECT_EQ(RejectedParam(Chat({{"min_p", -1}})), "min_p");
  EXPECT_EQ(RejectedParam(Chat({{"presence_penalty", 3}})), "presence_penalty");
  EXPECT_EQ(RejectedParam(Chat({{"repeat_penalty", 0}})), "repeat_penalty");
  EXPECT_EQ(RejectedParam(Chat({{"n", 0}})), "n");
  EXPECT_EQ(RejectedParam(Chat({{"n", 17}})), "n");
  EXPECT_EQ(RejectedParam(Chat({{"n", 1.5}})), "n");
  EXPECT_EQ(RejectedParam(Chat({{"max_tokens", 0}})), "max_tokens");
  EXPECT_EQ(RejectedParam(Chat({{"max_completion_tokens", -3}})), "max_completion_tokens");
  EXPECT_EQ(RejectedParam(Chat({{"stream", "yes"}})), "stream");
  EXPECT_EQ(RejectedParam(Chat({{"stop", 5}})), "stop");
  EXPECT_EQ(RejectedParam(Chat({{"stop", {"a", 1}}})), "stop");
  EXPECT_EQ(RejectedParam(Chat({{"top_logprobs", 3}})), "top_logprobs");  // logprobs not on
  EXPECT_EQ(RejectedParam(Chat({{"logprobs", true}, {"top_logprobs", 21}})), "top_logprobs");
  EXPECT_EQ(RejectedParam(Chat({{"logit_bias", {{"abc", 1}}}})), "logit_bias");
  EXPECT_EQ(RejectedParam(Chat({{"logit_bias", {{"5", 101}}}})), "logit_bias");
  EXPECT_EQ(RejectedParam(Chat({{"keep_alive", "soon"}})), "keep_alive");
  EXPECT_EQ(RejectedParam(Chat({{"stream_options", {{"include_usage", "y"}}}})),
            "stream_options.include_usage");

  // The first failure is the one reported, with OpenAI's code.
  ParamError pe;
  auto r = ParseChatCompletionRequest(Chat({{"temperature", 9}, {"n", 0}}), &pe);
  ASSERT_FALSE(r);
  EXPECT_EQ(pe.param, "temperature");
  EXPECT_NE(r.error().message().find("temperature"), std::string::npos);
  no_messages.erase("model");
  r = ParseChatCompletionRequest(no_messages, &pe);
  ASSERT_FALSE(r);
  EXPECT_EQ(pe.code, "missing_required_parameter");
}

TEST(OpenAiParse, ChatTemplateKwargsBecomeTemplateVariables) {
  auto r = ParseChatCompletionRequest(
      Chat({{"chat_template_kwargs", {{"enable_thinking", false}}}}), nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->completion.chat->extra["enable_thinking"], false);
  EXPECT_EQ(RejectedParam(Chat({{"chat_template_kwargs", "x"}})), "chat_template_kwargs");
}

TEST(OpenAiParse, Completion) {
  OJson body = {{"model", "tiny"}, {"prompt", "Once upon"}};
  auto r = ParseCompletionRequest(body, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->completion.prompt, "Once upon");
  EXPECT_FALSE(r->completion.chat.has_value());
  EXPECT_FALSE(r->completion.echo);
  EXPECT_FALSE(r->completion.gen.logprobs);
  EXPECT_FLOAT_EQ(r->completion.gen.sampling.temperature, 1.0f);

  body["prompt"] = {"just one"};
  body["echo"] = true;
  body["logprobs"] = 3;
  body["suffix"] = "";
  body["best_of"] = 1;
  r = ParseCompletionRequest(body, nullptr);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->completion.prompt, "just one");
  EXPECT_TRUE(r->completion.echo);
  EXPECT_TRUE(r->completion.gen.logprobs);
  EXPECT_EQ(r->completion.gen.sampling.n_top_logprobs, 3);

  body["logprobs"] = 0;  // logprobs of the chosen tokens only
  r = ParseCompletionRequest(body, nullptr);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->completion.gen.logprobs);
  EXPECT_EQ(r->completion.gen.sampling.n_top_logprobs, 0);

  const OJson base = {{"model", "tiny"}, {"prompt", "x"}};
  auto with = [&](const char* key, OJson value) {
    OJson b = base;
    b[key] = std::move(value);
    return RejectedParam(b, /*chat=*/false);
  };
  EXPECT_EQ(with("prompt", OJson::array({"a", "b"})), "prompt");
  EXPECT_EQ(with("prompt", OJson::array({1, 2, 3})), "prompt");
  EXPECT_EQ(with("prompt", 5), "prompt");
  EXPECT_EQ(with("suffix", "the end"), "suffix");
  EXPECT_EQ(with("best_of", 3), "best_of");
  EXPECT_EQ(with("logprobs", 21), "logprobs");
  EXPECT_EQ(with("temperature", 3), "temperature");
  EXPECT_EQ(RejectedParam({{"model", "tiny"}}, false), "prompt");
}

TEST(OpenAiParse, Embeddings) {
  auto r = ParseEmbeddingRequest({{"model", "emb"}, {"input", "hello"}}, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->inputs, std::vector<std::string>{"hello"});
  EXPECT_FALSE(r->base64);
  EXPECT_FALSE(r->dimensions.has_value());
  r = ParseEmbeddingRequest(
      {{"model", "emb"}, {"input", {"a", "b"}}, {"encoding_format", "base64"}, {"dimensions", 8}},
      nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r->base64);
  EXPECT_EQ(r->dimensions, 8);

  auto param = [](const OJson& body) {
    ParamError pe;
    auto r = ParseEmbeddingRequest(body, &pe);
    return r ? std::string("(accepted)") : pe.param;
  };
  EXPECT_EQ(param({{"input", "x"}}), "model");
  EXPECT_EQ(param({{"model", "emb"}}), "input");
  EXPECT_EQ(param({{"model", "emb"}, {"input", {1, 2}}}), "input");
  EXPECT_EQ(param({{"model", "emb"}, {"input", {{1, 2}}}}), "input");
  EXPECT_EQ(param({{"model", "emb"}, {"input", OJson::array()}}), "input");
  EXPECT_EQ(param({{"model", "emb"}, {"input", ""}}), "input");
  EXPECT_EQ(param({{"model", "emb"}, {"input", "x"}, {"encoding_format", "hex"}}),
            "encoding_format");
  EXPECT_EQ(param({{"model", "emb"}, {"input", "x"}, {"dimensions", 0}}), "dimensions");
}

}  // namespace
}  // namespace shimmy::server
