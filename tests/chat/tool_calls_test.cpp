#include "chat/tool_calls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "chat/output_test_util.h"

namespace shimmy::chat {
namespace {

using testing::ParseEverySplit;
using testing::ToolsOnly;

constexpr ToolCallFormat kHermes = ToolCallFormat::kHermes;

// Arguments with everything that trips naive scanners: unicode, nested
// objects and arrays, braces and escaped quotes inside strings.
constexpr std::string_view kHardArgs =
    R"({"query": "café {not a brace} \"quoted\" ]} 日本語 🎉", )"
    R"("filters": {"tags": ["a", "b"], "nested": {"deep": [1, 2.5, {"x": null, "y": true}]}}})";
constexpr std::string_view kHardArgsCompact =
    R"({"query":"café {not a brace} \"quoted\" ]} 日本語 🎉",)"
    R"("filters":{"tags":["a","b"],"nested":{"deep":[1,2.5,{"x":null,"y":true}]}}})";

std::string S(std::string_view a, std::string_view b = "", std::string_view c = "") {
  return std::string(a) + std::string(b) + std::string(c);
}

void ExpectCall(const ToolCall& call, std::string_view name, std::string_view args) {
  EXPECT_EQ(call.name, name);
  EXPECT_EQ(call.arguments, args);
  EXPECT_FALSE(call.id.empty());
}

// --- Hermes / Qwen ---------------------------------------------------------

TEST(HermesTest, CallAfterContent) {
  auto r = ParseEverySplit(ToolsOnly(kHermes),
                           "Let me check the weather.\n<tool_call>\n{\"name\": \"get_weather\", "
                           "\"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n"
                           "</tool_call>");
  EXPECT_EQ(r.content, "Let me check the weather.\n");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris","unit":"celsius"})");
  EXPECT_EQ(r.calls[0].id.size(), 5u + 24u);
  EXPECT_TRUE(r.calls[0].id.starts_with("call_"));
  ASSERT_EQ(r.deltas.size(), 1u);
  EXPECT_EQ(r.deltas[0].index, 0);
  EXPECT_EQ(r.deltas[0].name, "get_weather");
}

TEST(HermesTest, TwoCallsWithHardArguments) {
  const std::string text =
      S("<tool_call>\n{\"name\": \"search\", \"arguments\": ", kHardArgs, "}\n</tool_call>\n") +
      "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"timezone\": "
      "\"Europe/Paris\"}}\n"
      "</tool_call>";
  auto r = ParseEverySplit(ToolsOnly(kHermes), text);
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "search", kHardArgsCompact);
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"Europe/Paris"})");
  ASSERT_EQ(r.deltas.size(), 2u);
  EXPECT_EQ(r.deltas[1].index, 1);
  EXPECT_NE(r.calls[0].id, r.calls[1].id);
}

TEST(HermesTest, ArgumentsGivenAsJsonStringAreUnwrapped) {
  auto r = ParseEverySplit(
      ToolsOnly(kHermes),
      R"(<tool_call>{"name": "f", "arguments": "{\"a\": [1, \"}\"]}"}</tool_call>)");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"a":[1,"}"]})");
}

TEST(HermesTest, ModelsOwnIdIsKept) {
  auto r = ParseEverySplit(ToolsOnly(kHermes),
                           R"(<tool_call>{"id": "abc", "name": "f", "arguments": {}}</tool_call>)");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].id, "abc");
}

TEST(HermesTest, MissingCloseTagAtEndIsForgiven) {
  auto r = ParseEverySplit(ToolsOnly(kHermes),
                           "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.content, "");
}

TEST(HermesTest, MentionOfTheTagStaysContent) {
  const std::string text = "Use the <tool_call> tag, like <tool_call>this</tool_call>, or <tool_c";
  auto r = ParseEverySplit(ToolsOnly(kHermes), text);
  EXPECT_EQ(r.content, text);
  EXPECT_TRUE(r.calls.empty());
}

TEST(HermesTest, UnterminatedCallBecomesContent) {
  const std::string text =
      "Checking.<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": \"unfini";
  auto r = ParseEverySplit(ToolsOnly(kHermes), text);
  EXPECT_EQ(r.content, text);
  EXPECT_TRUE(r.calls.empty());
}

TEST(HermesTest, MalformedCallBecomesContentAndLaterCallsStillParse) {
  const std::string bad = "<tool_call>{\"name\": \"f\" \"arguments\": {}}</tool_call>";
  const std::string good = "<tool_call>{\"name\": \"g\", \"arguments\": {}}</tool_call>";
  auto r = ParseEverySplit(ToolsOnly(kHermes), bad + " and " + good);
  EXPECT_EQ(r.content, bad + " and ");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].name, "g");
}

TEST(HermesTest, LongArgumentsAndLateErrors) {
  // Past the early-rejection window, resumed scans must still agree with a
  // one-shot parse, escapes split across chunks included.
  std::string body;
  for (int i = 0; i < 40; ++i) body += "x\\\"{[\\n";
  const std::string good =
      "<tool_call>{\"name\": \"f\", \"arguments\": {\"s\": \"" + body + "\"}}</tool_call>";
  auto r = ParseEverySplit(ToolsOnly(kHermes), good);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, "{\"s\":\"" + body + "\"}");
  const std::string bad = "<tool_call>{\"name\": \"f\", \"arguments\": {\"s\": \"" + body +
                          "\" oops}}</tool_call> tail";
  r = ParseEverySplit(ToolsOnly(kHermes), bad);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, bad);
}

TEST(HermesTest, GlmArgKeyValueShape) {
  auto r = ParseEverySplit(ToolsOnly(kHermes),
                           "<tool_call>get_weather\n<arg_key>location</arg_key>\n<arg_value>Paris"
                           "</arg_value>\n<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n"
                           "</tool_call>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris","days":3})");
}

TEST(HermesTest, NoToolsFormatLeavesEverythingAsContent) {
  const std::string text = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kNone), text);
  EXPECT_EQ(r.content, text);
}

// --- Qwen3-Coder XML
// -----------------------------------------------------------

TEST(Qwen3CoderTest, ParametersBecomeTypedJson) {
  ChatOutputOptions o = ToolsOnly(ToolCallFormat::kQwen3Coder);
  o.tool_calls.tools = Json::parse(R"([{"type": "function", "function": {"name": "write_file",
      "parameters": {"type": "object", "properties": {"path": {"type": "string"},
      "content": {"type": "string"}, "mode": {"type": ["string", "null"]},
      "overwrite": {"type": "boolean"}, "size": {"type": "integer"}}}}}])");
  const std::string text =
      "I'll write "
      "it.\n<tool_call>\n<function=write_file>\n<"
      "parameter=path>\n123\n</parameter>\n"
      "<parameter=content>\nint main() {\n  return a < b "
      "&& c > \"d\";\n}\n</parameter>\n"
      "<parameter=overwrite>\ntrue\n</"
      "parameter>\n<parameter=size>\n42\n</parameter>\n"
      "<parameter=extra>\n{\"k\": "
      "[1]}\n</parameter>\n</function>\n</tool_call>";
  auto r = ParseEverySplit(o, text);
  EXPECT_EQ(r.content, "I'll write it.\n");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "write_file",
             R"({"path":"123","content":"int main() {\n  return a < b && c > \"d\";\n}",)"
             R"("overwrite":true,"size":42,"extra":{"k":[1]}})");
}

TEST(Qwen3CoderTest, TemplateShapeWithoutSchema) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kQwen3Coder),
                           "<tool_call>\n<function=get_weather>\n<parameter=location>\nParis\n"
                           "</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n</function>\n"
                           "</tool_call>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris","unit":"celsius"})");
}

TEST(Qwen3CoderTest, UnclosedParameterBecomesContent) {
  const std::string text = "<tool_call>\n<function=f>\n<parameter=a>\nvalue";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kQwen3Coder), text);
  EXPECT_EQ(r.content, text);
}

// --- Llama 3
// ---------------------------------------------------------------------

TEST(Llama3Test, BareJsonCall) {
  auto r =
      ParseEverySplit(ToolsOnly(ToolCallFormat::kLlama3),
                      "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris"})");
  EXPECT_EQ(r.content, "");
}

TEST(Llama3Test, SemicolonSeparatedCallsThenText) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kLlama3),
                           S("\n{\"name\": \"a\", \"parameters\": ", kHardArgs,
                             "}; {\"name\": \"b\", \"parameters\": {}}\nDone."));
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "a", kHardArgsCompact);
  ExpectCall(r.calls[1], "b", "{}");
  EXPECT_EQ(r.content, "Done.");
}

TEST(Llama3Test, PythonTagBuiltinAndCode) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kLlama3),
                           "<|python_tag|>brave_search.call(query=\"weather in "
                           "\\\"Paris\\\"\", n=3)");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "brave_search", R"({"query":"weather in \"Paris\"","n":3})");
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kLlama3), "<|python_tag|>print(sum([1, 2]))");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "python", R"j({"code":"print(sum([1, 2]))"})j");
}

TEST(Llama3Test, JsonInProseOrNonCallJsonStaysContent) {
  const std::string prose = "The format is {\"name\": \"f\", \"parameters\": {}} as shown.";
  EXPECT_EQ(ParseEverySplit(ToolsOnly(ToolCallFormat::kLlama3), prose).content, prose);
  const std::string data = "{\"temperature\": 18} is the reading.";
  EXPECT_EQ(ParseEverySplit(ToolsOnly(ToolCallFormat::kLlama3), data).content, data);
}

// --- Mistral
// -----------------------------------------------------------------------

TEST(MistralTest, NewShapeSeveralCallsWithAndWithoutIds) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kMistral),
                           S("Sure.[TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]"
                             "{\"location\": \"Paris\"}[TOOL_CALLS]search[ARGS]",
                             kHardArgs));
  EXPECT_EQ(r.content, "Sure.");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris"})");
  EXPECT_EQ(r.calls[0].id, "a1B2c3D4e");
  ExpectCall(r.calls[1], "search", kHardArgsCompact);
  EXPECT_TRUE(r.calls[1].id.starts_with("call_"));
}

TEST(MistralTest, OldArrayShape) {
  auto r = ParseEverySplit(
      ToolsOnly(ToolCallFormat::kMistral),
      R"([TOOL_CALLS] [{"name": "get_weather", "arguments": {"location": "Zürich"}, "id": "abc123XYZ"}, )"
      R"({"name": "get_time", "arguments": {"timezone": "Europe/Zurich"}}])");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Zürich"})");
  EXPECT_EQ(r.calls[0].id, "abc123XYZ");
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"Europe/Zurich"})");
}

TEST(MistralTest, TruncatedArgsBecomeContent) {
  const std::string text = "[TOOL_CALLS]get_weather[ARGS]{\"location\": \"Par";
  EXPECT_EQ(ParseEverySplit(ToolsOnly(ToolCallFormat::kMistral), text).content, text);
}

// --- DeepSeek
// ------------------------------------------------------------------------

TEST(DeepSeekTest, R1ShapeTwoCalls) {
  const std::string text =
      "Checking "
      "both.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>"
      "get_weather\n"
      "```json\n{\"location\": "
      "\"Paris\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function"
      "<｜tool▁sep｜>search\n```json\n" +
      std::string(kHardArgs) + "\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kDeepSeek), text);
  EXPECT_EQ(r.content, "Checking both.");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris"})");
  ExpectCall(r.calls[1], "search", kHardArgsCompact);
}

TEST(DeepSeekTest, V31Shape) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kDeepSeek),
                           "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>"
                           "{\"location\": \"東京\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"東京"})");
}

TEST(DeepSeekTest, BareCallBeginAndUnclosedSectionAtEnd) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kDeepSeek),
                           "<｜tool▁call▁begin｜>f<｜tool▁sep｜>{}<｜tool▁call▁end｜>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "f", "{}");
  const std::string cut =
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<"
      "｜tool▁sep｜>f\n```json\n{\"a\"";
  EXPECT_EQ(ParseEverySplit(ToolsOnly(ToolCallFormat::kDeepSeek), cut).content, cut);
}

// --- Functionary
// -----------------------------------------------------------------------

TEST(FunctionaryTest, V31FunctionTags) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kFunctionaryV31),
                           "<function=get_weather>{\"location\": \"Paris\"}</function>"
                           "<function=get_time>{\"timezone\": \"UTC\"}</function>");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris"})");
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"UTC"})");
}

TEST(FunctionaryTest, V32RecipientsAfterPromptArrows) {
  auto r =
      ParseEverySplit(ToolsOnly(ToolCallFormat::kFunctionaryV32),
                      "all\nLet me check.>>>get_weather\n{\"location\": \"Paris\"}>>>get_time\n"
                      "{\"timezone\": \"UTC\"}");
  EXPECT_EQ(r.content, "Let me check.");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris"})");
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"UTC"})");
  const std::string quote = "all\nIn Python:\n>>> print(1)\n";
  EXPECT_EQ(ParseEverySplit(ToolsOnly(ToolCallFormat::kFunctionaryV32), quote).content,
            "In Python:\n>>> print(1)\n");
}

// --- gpt-oss
// -------------------------------------------------------------------------------

TEST(GptOssTest, AnalysisIsReasoningAndCommentaryToFunctionsIsACall) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kGptOss),
                           "<|channel|>analysis<|message|>Need the weather in "
                           "Paris.<|end|><|start|>assistant"
                           "<|channel|>commentary to=functions.get_weather "
                           "<|constrain|>json<|message|>"
                           "{\"location\": \"Paris\", \"note\": \"<|x\"}<|call|>");
  EXPECT_EQ(r.reasoning, "Need the weather in Paris.");
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", R"({"location":"Paris","note":"<|x"})");
}

TEST(GptOssTest, FinalChannelIsContentAndPlainTextPassesThrough) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kGptOss),
                           "<|channel|>analysis<|message|>Simple.<|end|><|start|>assistant"
                           "<|channel|>final<|message|>Hello, 世界!<|return|>");
  EXPECT_EQ(r.reasoning, "Simple.");
  EXPECT_EQ(r.content, "Hello, 世界!");
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kGptOss), "Just text.");
  EXPECT_EQ(r.content, "Just text.");
}

TEST(GptOssTest, RecipientInRolePartAndBrokenCallBecomesContent) {
  auto r =
      ParseEverySplit(ToolsOnly(ToolCallFormat::kGptOss),
                      " to=functions.f<|channel|>commentary json<|message|>{\"a\": 1}<|call|>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "f", R"({"a":1})");
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kGptOss),
                      "<|channel|>commentary to=functions.f<|message|>{\"a\": ");
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, "<|channel|>commentary to=functions.f<|message|>{\"a\": ");
}

// --- Generic
// ---------------------------------------------------------------------------------

TEST(GenericTest, WholeOutputShapes) {
  const auto o = ToolsOnly(ToolCallFormat::kGeneric);
  auto r = ParseEverySplit(o, "{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "f", R"({"a":1})");
  r = ParseEverySplit(o, S("[{\"name\": \"f\", \"parameters\": ", kHardArgs,
                           "}, {\"name\": \"g\", \"arguments\": {}}]"));
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "f", kHardArgsCompact);
  r = ParseEverySplit(o, R"({"tool_calls": [{"id": "x1", "type": "function", "function": )"
                         R"({"name": "f", "arguments": "{\"a\": 2}"}}]})");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].id, "x1");
  ExpectCall(r.calls[0], "f", R"({"a":2})");
}

TEST(GenericTest, JsonThatIsNotTheWholeOutputIsContent) {
  const auto o = ToolsOnly(ToolCallFormat::kGeneric);
  for (std::string text : {"Sure: {\"name\": \"f\", \"arguments\": {}}",
                           "{\"name\": \"f\", \"arguments\": {}} and then some", "{\"answer\": 42}",
                           "{\"name\": \"f\", \"arguments\": {"}) {
    auto r = ParseEverySplit(o, text);
    EXPECT_EQ(r.content, text);
    EXPECT_TRUE(r.calls.empty()) << text;
  }
}

// --- Reasoning + tools together
// ----------------------------------------------------------------

TEST(ChatOutputTest, ThinkThenToolCall) {
  ChatOutputOptions o = ToolsOnly(kHermes);
  o.reasoning = ReasoningTags{};
  auto r = ParseEverySplit(o,
                           "<think>\nI should call <tool_call> now.\n</think>\n\nOK.\n<tool_call>\n"
                           "{\"name\": \"f\", \"arguments\": {\"q\": \"ü\"}}\n</tool_call>");
  EXPECT_EQ(r.reasoning, "I should call <tool_call> now.");
  EXPECT_EQ(r.content, "OK.\n");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "f", R"({"q":"ü"})");
}

TEST(ChatOutputTest, DeepSeekR1StartsInReasoning) {
  ChatOutputOptions o = ToolsOnly(ToolCallFormat::kDeepSeek);
  o.reasoning = ReasoningTags{};
  o.starts_in_reasoning = true;
  auto r =
      ParseEverySplit(o,
                      "Weather needed.\n</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>"
                      "function<｜tool▁sep｜>get_weather\n```json\n{\"location\": \"Paris\"}\n"
                      "```<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
  EXPECT_EQ(r.reasoning, "Weather needed.");
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.calls.size(), 1u);
}

TEST(ChatOutputTest, IdsAreSeededAndContentIsNotHeldNeedlessly) {
  ToolCallOptions o;
  o.format = kHermes;
  o.id_seed = 1;
  EXPECT_EQ(
      ParseToolCalls("<tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>", o).tool_calls,
      ParseToolCalls("<tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>", o).tool_calls);
  ToolCallStreamParser p(o);
  EXPECT_EQ(p.Feed("Hello <to").content,
            "Hello ");  // "<to" may start "<tool_call>"
  EXPECT_EQ(p.Feed("ol").content, "");
  EXPECT_EQ(p.Feed("box> x").content, "<toolbox> x");
  EXPECT_EQ(p.Feed("caf\xC3").content, "caf");  // no split characters
  EXPECT_EQ(p.Finish().content, "\xC3");
}

// --- Format detection
// --------------------------------------------------------------------------

std::string ReadTemplate(const std::string& name) {
  const char* env = std::getenv("SHIMMY_FIXTURES");
  const std::string root = env != nullptr ? env : SHIMMY_DEFAULT_FIXTURES;
  std::ifstream in(root + "/templates/" + name + ".jinja");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DetectTest, FromFixtureTemplates) {
  const std::pair<const char*, ToolCallFormat> cases[] = {
      {"Qwen-Qwen2.5-7B-Instruct", ToolCallFormat::kHermes},
      {"Qwen3-Coder", ToolCallFormat::kQwen3Coder},
      {"Mistral-Small-3.2-24B-Instruct-2506", ToolCallFormat::kMistral},
      {"unsloth-mistral-Devstral-Small-2507", ToolCallFormat::kMistral},
      {"meta-llama-Llama-3.1-8B-Instruct", ToolCallFormat::kLlama3},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", ToolCallFormat::kDeepSeek},
      {"meetkai-functionary-medium-v3.1", ToolCallFormat::kFunctionaryV31},
      {"meetkai-functionary-medium-v3.2", ToolCallFormat::kFunctionaryV32},
      {"GLM-4.6", ToolCallFormat::kHermes},
  };
  for (const auto& [name, want] : cases) {
    const std::string source = ReadTemplate(name);
    if (source.empty()) GTEST_SKIP() << "fixtures not found";
    EXPECT_EQ(ToolCallFormatName(DetectToolCallFormat(source)), ToolCallFormatName(want)) << name;
  }
  EXPECT_EQ(DetectToolCallFormat("<|start|>assistant<|channel|>final<|message|> to=functions.x"),
            ToolCallFormat::kGptOss);
  EXPECT_EQ(DetectToolCallFormat("", "gpt-oss"), ToolCallFormat::kGptOss);
  EXPECT_EQ(DetectToolCallFormat("{{ messages }}"), ToolCallFormat::kGeneric);
}

}  // namespace
}  // namespace shimmy::chat
