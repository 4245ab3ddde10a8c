// The Anthropic dialect's pure parts: /v1/messages bodies ->
// CompletionRequest, the message JSON, and the exact SSE event sequence for
// scripted service events. No model is loaded here.
#include <gtest/gtest.h>

#include "server/api_anthropic.h"

namespace shimmy::server::anthropic {
namespace {

OJson J(const char* text) { return OJson::parse(text); }

MessagesRequest Parse(const char* body) {
  auto r = ParseMessagesRequest(J(body));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : MessagesRequest{};
}

std::string ParseError(const char* body) {
  auto r = ParseMessagesRequest(J(body));
  return r.ok() ? "(accepted)" : r.error().message();
}

TEST(AnthropicParse, FieldsAndDefaults) {
  const MessagesRequest r = Parse(R"({"model":"claude-ish","max_tokens":64,
      "messages":[{"role":"user","content":"Hello"}]})");
  EXPECT_EQ(r.model, "claude-ish");
  EXPECT_EQ(r.completion.model, "claude-ish");
  EXPECT_FALSE(r.stream);  // Anthropic answers whole unless asked
  EXPECT_EQ(r.completion.gen.max_tokens, 64);
  EXPECT_FLOAT_EQ(r.completion.gen.sampling.temperature, 1.0f);
  EXPECT_EQ(r.completion.gen.sampling.top_k, 0);
  EXPECT_FLOAT_EQ(r.completion.gen.sampling.top_p, 1.0f);
  EXPECT_FLOAT_EQ(r.completion.gen.sampling.repeat_penalty, 1.0f);
  ASSERT_TRUE(r.completion.chat.has_value());
  EXPECT_EQ(r.completion.chat->messages, J(R"([{"role":"user","content":"Hello"}])"));
  EXPECT_TRUE(r.completion.chat->tools.is_null());
  EXPECT_FALSE(r.completion.chat->extra.contains("enable_thinking"));

  const MessagesRequest all = Parse(R"({"model":"m","max_tokens":5,"stream":true,
      "system":"Be terse.","temperature":0.2,"top_p":0.7,"top_k":12,
      "stop_sequences":["\n\nHuman:","","END"],"thinking":{"type":"enabled","budget_tokens":1024},
      "metadata":{"user_id":"u"},
      "messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_TRUE(all.stream);
  EXPECT_FLOAT_EQ(all.completion.gen.sampling.temperature, 0.2f);
  EXPECT_FLOAT_EQ(all.completion.gen.sampling.top_p, 0.7f);
  EXPECT_EQ(all.completion.gen.sampling.top_k, 12);
  EXPECT_EQ(all.completion.gen.stop, (std::vector<std::string>{"\n\nHuman:", "END"}));
  EXPECT_EQ(all.completion.chat->extra["enable_thinking"], true);
  EXPECT_EQ(all.completion.chat->messages[0], J(R"({"role":"system","content":"Be terse."})"));
  EXPECT_EQ(Parse(R"({"model":"m","max_tokens":5,"thinking":{"type":"disabled"},
                      "messages":[{"role":"user","content":"x"}]})")
                .completion.chat->extra["enable_thinking"],
            false);
}

TEST(AnthropicParse, ErrorsNameTheField) {
  EXPECT_EQ(ParseError(R"({"model":"m","messages":[{"role":"user","content":"x"}]})"),
            "max_tokens: required");
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":0,"messages":[]})").find("max_tokens"),
            std::string::npos);
  EXPECT_EQ(ParseError(R"({"max_tokens":5,"messages":[]})"), "model: required");
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5})").find("messages: required"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,"messages":[]})").find("messages"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,
                           "messages":[{"role":"system","content":"x"}]})")
                .find("messages[0].role"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,"temperature":1.5,
                           "messages":[{"role":"user","content":"x"}]})")
                .find("temperature"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,"top_k":-1,
                           "messages":[{"role":"user","content":"x"}]})")
                .find("top_k"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,"stop_sequences":"x",
                           "messages":[{"role":"user","content":"x"}]})")
                .find("stop_sequences"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,"thinking":{"type":"maybe"},
                           "messages":[{"role":"user","content":"x"}]})")
                .find("thinking.type"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"model":"m","max_tokens":5,"stream":1,
                           "messages":[{"role":"user","content":"x"}]})")
                .find("stream"),
            std::string::npos);
}

TEST(AnthropicParse, ContentBlocksBecomeOpenAiMessages) {
  auto messages = ConvertMessages(J(R"([{"type":"text","text":"Sys A"},
                                        {"type":"text","text":"Sys B"}])"),
                                  J(R"([
      {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"text","text":"In Paris."}]},
      {"role":"assistant","content":[
        {"type":"thinking","thinking":"call it","signature":"sig"},
        {"type":"text","text":"Checking."},
        {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
        {"type":"tool_result","tool_use_id":"toolu_2","is_error":true,
         "content":[{"type":"text","text":"timeout"}]},
        {"type":"text","text":"Thanks"}]}])"));
  ASSERT_TRUE(messages.ok()) << messages.error().message();
  EXPECT_EQ(*messages, J(R"([
      {"role":"system","content":"Sys A\nSys B"},
      {"role":"user","content":"Weather?\nIn Paris."},
      {"role":"assistant","content":"Checking.","reasoning_content":"call it","thinking":"call it",
       "tool_calls":[{"id":"toolu_1","type":"function",
                      "function":{"name":"weather","arguments":{"city":"Paris"}}}]},
      {"role":"tool","tool_call_id":"toolu_1","content":"sunny"},
      {"role":"tool","tool_call_id":"toolu_2","content":"Error: timeout"},
      {"role":"user","content":"Thanks"}])"));
}

TEST(AnthropicParse, UnsupportedBlocksAreRefusedByPosition) {
  auto image = ConvertMessages(nullptr, J(R"([{"role":"user","content":[
      {"type":"text","text":"see"},{"type":"image","source":{}}]}])"));
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.error().message().find("messages[0].content[1]"), std::string::npos);
  EXPECT_NE(image.error().message().find("image"), std::string::npos);
  EXPECT_FALSE(ConvertMessages(J("5"), J(R"([{"role":"user","content":"x"}])")).ok());
  auto no_id =
      ConvertMessages(nullptr, J(R"([{"role":"user","content":[{"type":"tool_result"}]}])"));
  ASSERT_FALSE(no_id.ok());
  EXPECT_NE(no_id.error().message().find("tool_use_id"), std::string::npos);
}

TEST(AnthropicParse, ToolsAndToolChoice) {
  const OJson tools = J(R"([
      {"name":"weather","description":"Weather now","input_schema":{"type":"object"}},
      {"name":"time","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}])");
  auto all = ConvertTools(tools, nullptr);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0], J(R"({"type":"function","function":{"name":"weather",
      "description":"Weather now","parameters":{"type":"object"}}})"));
  EXPECT_EQ((*all)[1]["function"]["name"], "time");
  EXPECT_EQ(ConvertTools(tools, J(R"({"type":"any"})"))->size(), 2u);
  EXPECT_TRUE(ConvertTools(tools, J(R"({"type":"none"})"))->empty());
  auto one = ConvertTools(tools, J(R"({"type":"tool","name":"time"})"));
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0]["function"]["name"], "time");
  EXPECT_FALSE(ConvertTools(tools, J(R"({"type":"tool","name":"nope"})")).ok());
  EXPECT_FALSE(ConvertTools(tools, J(R"({"type":"sometimes"})")).ok());
  auto server_tool =
      ConvertTools(J(R"([{"type":"web_search_20250305","name":"web_search"}])"), nullptr);
  ASSERT_FALSE(server_tool.ok());
  EXPECT_NE(server_tool.error().message().find("tools[0].type"), std::string::npos);
  EXPECT_NE(
      ConvertTools(J(R"([{"name":"x"}])"), nullptr).error().message().find("tools[0].input_schema"),
      std::string::npos);
  // Through the whole parser: tool_choice none leaves the template without tools.
  EXPECT_TRUE(Parse(R"({"model":"m","max_tokens":5,"tool_choice":{"type":"none"},
                        "tools":[{"name":"t","input_schema":{"type":"object"}}],
                        "messages":[{"role":"user","content":"x"}]})")
                  .completion.chat->tools.is_null());
}

// ---- Answers ---------------------------------------------------------------

ChoiceFinal Choice(std::string finish, std::string content = "", std::string reasoning = "",
                   std::vector<chat::ToolCall> calls = {}) {
  ChoiceFinal c;
  c.finish_reason = std::move(finish);
  c.content = std::move(content);
  c.reasoning = std::move(reasoning);
  c.tool_calls = std::move(calls);
  return c;
}

TEST(AnthropicAnswer, StopReasons) {
  EXPECT_EQ(StopReason(Choice("stop"), std::nullopt), "end_turn");
  EXPECT_EQ(StopReason(Choice("stop"), "END"), "stop_sequence");
  EXPECT_EQ(StopReason(Choice("length"), std::nullopt), "max_tokens");
  EXPECT_EQ(StopReason(Choice("tool_calls"), std::nullopt), "tool_use");
}

TEST(AnthropicAnswer, MatchedStopSequenceMustEndInTheLastToken) {
  using V = std::vector<std::string>;
  const V pieces = {"Hello", " wor", "ld", "!\n"};
  EXPECT_EQ(MatchedStopSequence({"!"}, pieces), std::optional<std::string>("!"));
  EXPECT_EQ(MatchedStopSequence({"world!"}, pieces), std::optional<std::string>("world!"));
  // "Hello" is in the text but ended long before the last token: not why it stopped.
  EXPECT_EQ(MatchedStopSequence({"Hello"}, pieces), std::nullopt);
  // Two that end in the last token: the one completed first wins, whatever the order.
  EXPECT_EQ(MatchedStopSequence({"!\n", "ld!"}, pieces), std::optional<std::string>("ld!"));
  EXPECT_EQ(MatchedStopSequence({}, pieces), std::nullopt);
  EXPECT_EQ(MatchedStopSequence({"x"}, V{}), std::nullopt);
  EXPECT_EQ(MatchedStopSequence({"</s>"}, V{"a", ""}), std::nullopt);  // ended on EOG
}

TEST(AnthropicAnswer, MessageJson) {
  CompletionFinal f;
  f.prompt_tokens = 21;
  f.completion_tokens = 9;
  f.choices.push_back(
      Choice("tool_calls", "Checking.", "think", {{"call_x", "weather", R"({"city":"Paris"})"}}));
  const OJson m = MessageJson("msg_1", "claude-ish", f, std::nullopt);
  EXPECT_EQ(m, J(R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-ish",
      "content":[{"type":"thinking","thinking":"think","signature":""},
                 {"type":"text","text":"Checking."},
                 {"type":"tool_use","id":"call_x","name":"weather","input":{"city":"Paris"}}],
      "stop_reason":"tool_use","stop_sequence":null,
      "usage":{"input_tokens":21,"output_tokens":9}})"));
  CompletionFinal empty;
  empty.choices.push_back(Choice("stop"));
  const OJson e = MessageJson("msg_2", "m", empty, "END");
  EXPECT_EQ(e["content"], J(R"([{"type":"text","text":""}])"));
  EXPECT_EQ(e["stop_reason"], "stop_sequence");
  EXPECT_EQ(e["stop_sequence"], "END");
}

TEST(AnthropicAnswer, NewIds) {
  const std::string a = NewId("msg_"), b = NewId("msg_");
  EXPECT_EQ(a.size(), 28u);
  EXPECT_TRUE(a.starts_with("msg_"));
  EXPECT_NE(a, b);
}

struct Ev {
  std::string name;
  OJson data;
};

// Splits SSE text into events, checking the framing of each exactly.
std::vector<Ev> Events(const std::string& text) {
  std::vector<Ev> out;
  size_t pos = 0;
  while (pos < text.size()) {
    EXPECT_EQ(text.compare(pos, 7, "event: "), 0) << text.substr(pos);
    const size_t nl = text.find('\n', pos);
    const std::string name = text.substr(pos + 7, nl - pos - 7);
    EXPECT_EQ(text.compare(nl + 1, 6, "data: "), 0);
    const size_t end = text.find("\n\n", nl + 1);
    EXPECT_NE(end, std::string::npos);
    OJson data = OJson::parse(text.substr(nl + 7, end - nl - 7));
    EXPECT_EQ(data["type"], name);  // Anthropic repeats the event name as "type"
    out.push_back({name, std::move(data)});
    pos = end + 2;
  }
  return out;
}

std::vector<std::string> Names(const std::vector<Ev>& events) {
  std::vector<std::string> names;
  for (const Ev& e : events) names.push_back(e.name);
  return names;
}

TEST(AnthropicStream, ScriptedSequence) {
  EventWriter w("msg_1", "claude-ish");
  std::string sse = w.Start(13);
  chat::OutputDelta think;
  think.reasoning = "Let me";
  sse += w.Delta(think);
  think.reasoning = " see.";
  sse += w.Delta(think);
  chat::OutputDelta text;
  text.content = "Sunny";
  sse += w.Delta(text);
  sse += w.Delta(chat::OutputDelta{});  // nothing: no events
  chat::OutputDelta call;
  call.tool_calls.push_back(
      {.index = 0, .id = "call_a", .name = "weather", .arguments = R"({"city":"Paris"})"});
  call.tool_calls.push_back({.index = 1, .id = "call_b", .name = "time", .arguments = "{}"});
  sse += w.Delta(call);
  CompletionFinal f;
  f.prompt_tokens = 13;
  f.completion_tokens = 17;
  f.choices.push_back(Choice("tool_calls"));
  sse += w.Final(f, std::nullopt);

  const auto ev = Events(sse);
  EXPECT_EQ(Names(ev),
            (std::vector<std::string>{
                "message_start", "ping", "content_block_start", "content_block_delta",
                "content_block_delta", "content_block_stop", "content_block_start",
                "content_block_delta", "content_block_stop", "content_block_start",
                "content_block_delta", "content_block_stop", "content_block_start",
                "content_block_delta", "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(ev[0].data["message"], J(R"({"id":"msg_1","type":"message","role":"assistant",
      "model":"claude-ish","content":[],"stop_reason":null,"stop_sequence":null,
      "usage":{"input_tokens":13,"output_tokens":0}})"));
  EXPECT_EQ(ev[2].data, J(R"({"type":"content_block_start","index":0,
      "content_block":{"type":"thinking","thinking":"","signature":""}})"));
  EXPECT_EQ(ev[3].data["delta"], J(R"({"type":"thinking_delta","thinking":"Let me"})"));
  EXPECT_EQ(ev[4].data["delta"]["thinking"], " see.");
  EXPECT_EQ(ev[5].data, J(R"({"type":"content_block_stop","index":0})"));
  EXPECT_EQ(ev[6].data["content_block"], J(R"({"type":"text","text":""})"));
  EXPECT_EQ(ev[7].data, J(R"({"type":"content_block_delta","index":1,
      "delta":{"type":"text_delta","text":"Sunny"}})"));
  EXPECT_EQ(ev[9].data, J(R"({"type":"content_block_start","index":2,
      "content_block":{"type":"tool_use","id":"call_a","name":"weather","input":{}}})"));
  EXPECT_EQ(ev[10].data["delta"],
            J(R"({"type":"input_json_delta","partial_json":"{\"city\":\"Paris\"}"})"));
  EXPECT_EQ(ev[10].data["index"], 2);
  EXPECT_EQ(ev[12].data["index"], 3);
  EXPECT_EQ(ev[12].data["content_block"]["name"], "time");
  EXPECT_EQ(ev[14].data["index"], 3);
  EXPECT_EQ(ev[15].data, J(R"({"type":"message_delta",
      "delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":17}})"));
  EXPECT_EQ(ev[16].data, J(R"({"type":"message_stop"})"));
}

TEST(AnthropicStream, TextThenStopSequence) {
  EventWriter w("msg_2", "m");
  std::string sse = w.Start(3);
  chat::OutputDelta a;
  a.content = "Hi";
  sse += w.Delta(a);
  a.content = " there";
  sse += w.Delta(a);
  CompletionFinal f;
  f.completion_tokens = 2;
  f.choices.push_back(Choice("stop"));
  sse += w.Final(f, "END");
  const auto ev = Events(sse);
  EXPECT_EQ(Names(ev),
            (std::vector<std::string>{"message_start", "ping", "content_block_start",
                                      "content_block_delta", "content_block_delta",
                                      "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(ev[6].data["delta"], J(R"({"stop_reason":"stop_sequence","stop_sequence":"END"})"));
}

TEST(AnthropicStream, EmptyOutputStillHasOneTextBlock) {
  EventWriter w("msg_3", "m");
  std::string sse = w.Start(1);
  CompletionFinal f;
  f.choices.push_back(Choice("length"));
  sse += w.Final(f, std::nullopt);
  const auto ev = Events(sse);
  EXPECT_EQ(Names(ev),
            (std::vector<std::string>{"message_start", "ping", "content_block_start",
                                      "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(ev[4].data["delta"]["stop_reason"], "max_tokens");
}

TEST(AnthropicStream, ErrorEvent) {
  EventWriter w("msg_4", "m");
  const auto ev = Events(w.Error(boost::beast::http::status::service_unavailable, "busy"));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].name, "error");
  EXPECT_EQ(ev[0].data,
            J(R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})"));
}

}  // namespace
}  // namespace shimmy::server::anthropic
