// The formats in tool_call_formats_more.cpp and tool_call_pythonic.cpp. Each
// output is shaped the way the family's chat template renders an assistant's
// calls, and every case is parsed split at every byte (ParseEverySplit).
#include <gtest/gtest.h>

#include <string>

#include "chat/output_test_util.h"
#include "chat/tool_calls.h"

namespace shimmy::chat {
namespace {

using testing::ParseEverySplit;
using testing::ToolsOnly;

void ExpectCall(const ToolCall& call, std::string_view name, std::string_view args) {
  EXPECT_EQ(call.name, name);
  EXPECT_EQ(call.arguments, args);
  EXPECT_FALSE(call.id.empty());
}

constexpr std::string_view kParisArgs = R"({"location":"Paris","unit":"celsius"})";

// Checks that an unterminated copy of `text` (cut before its last
// `cut_from_end` bytes) comes out whole as content with no call.
void ExpectCutIsContent(ToolCallFormat format, const std::string& text, size_t cut_from_end) {
  const std::string cut = text.substr(0, text.size() - cut_from_end);
  auto r = ParseEverySplit(ToolsOnly(format), cut);
  EXPECT_TRUE(r.calls.empty()) << cut;
  EXPECT_EQ(r.content, cut);
}

// --- Seed-OSS ----------------------------------------------------------------

TEST(SeedOssTest, TemplateShapeTwoCallsAfterContent) {
  const std::string text =
      "Checking both.\n<seed:tool_call>\n<function=get_weather>\n<parameter=location>Paris"
      "</parameter>\n<parameter=unit>celsius</parameter>\n</function>\n</seed:tool_call>\n"
      "<seed:tool_call>\n<function=get_time>\n<parameter=timezone>Europe/Paris</parameter>\n"
      "</function>\n</seed:tool_call>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kSeedOss), text);
  EXPECT_EQ(r.content, "Checking both.\n");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"Europe/Paris"})");
  ExpectCutIsContent(ToolCallFormat::kSeedOss,
                     "Hi <seed:tool_call>\n<function=f>\n<parameter=a>"
                     "1</parameter>\n</function>\n</seed:tool_call>",
                     30);
}

TEST(SeedOssTest, MultiLineValueAndTypedNumbers) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kSeedOss),
                           "<seed:tool_call>\n<function=write>\n<parameter=text>line one\nline "
                           "two</parameter>\n<parameter=n>3</parameter>\n</function>\n"
                           "</seed:tool_call>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "write", R"({"text":"line one\nline two","n":3})");
}

// --- Kimi K2 -----------------------------------------------------------------

TEST(KimiK2Test, SectionWithTwoCallsKeepsTheModelsIds) {
  const std::string text =
      "Let me look.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
      "<|tool_call_argument_begin|>{\"location\": \"Paris\", \"unit\": \"celsius\"}"
      "<|tool_call_end|><|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>"
      "{\"timezone\": \"Europe/Paris\"}<|tool_call_end|><|tool_calls_section_end|>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kKimiK2), text);
  EXPECT_EQ(r.content, "Let me look.");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  EXPECT_EQ(r.calls[0].id, "functions.get_weather:0");
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"Europe/Paris"})");
  EXPECT_EQ(r.calls[1].id, "functions.get_time:1");
  ExpectCutIsContent(ToolCallFormat::kKimiK2, text, 60);
}

TEST(KimiK2Test, MissingSectionEndAndBareCallBegin) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kKimiK2),
                           "<|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{}"
                           "<|tool_call_end|>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "f", "{}");
  EXPECT_EQ(r.content, "");
  const std::string broken =
      "<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0 oops{}<|tool_call_end|>";
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kKimiK2), broken);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, broken);
}

// --- DeepSeek V3.2 / V4 DSML ---------------------------------------------------

TEST(DsmlTest, V32FunctionCallsWithStringAttributes) {
  const std::string text =
      "Sure.\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_weather\">\n"
      "<｜DSML｜parameter name=\"location\" string=\"true\">Paris</｜DSML｜parameter>\n"
      "<｜DSML｜parameter name=\"unit\" string=\"true\">celsius</｜DSML｜parameter>\n"
      "</｜DSML｜invoke>\n<｜DSML｜invoke name=\"search\">\n"
      "<｜DSML｜parameter name=\"query\" string=\"true\">42</｜DSML｜parameter>\n"
      "<｜DSML｜parameter name=\"filters\" string=\"false\">{\"tags\": [\"a\"], \"n\": 2}"
      "</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kDeepSeekDsml), text);
  EXPECT_EQ(r.content, "Sure.\n\n");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  // string="true" keeps "42" a string; string="false" reads JSON.
  ExpectCall(r.calls[1], "search", R"({"query":"42","filters":{"tags":["a"],"n":2}})");
  ExpectCutIsContent(ToolCallFormat::kDeepSeekDsml, text, 40);
}

TEST(DsmlTest, V4ToolCallsBlock) {
  auto r = ParseEverySplit(
      ToolsOnly(ToolCallFormat::kDeepSeekDsml),
      "<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_time\">\n<｜DSML｜parameter "
      "name=\"timezone\" string=\"true\">Europe/Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
      "</｜DSML｜tool_calls>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_time", R"({"timezone":"Europe/Paris"})");
  EXPECT_EQ(r.content, "");
}

TEST(DsmlTest, ProseMentionStaysContent) {
  const std::string text = "Write a <｜DSML｜function_calls> block with invoke tags.";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kDeepSeekDsml), text);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, text);
}

// --- MiniMax M2 ----------------------------------------------------------------

TEST(MiniMaxM2Test, TemplateShapeTwoInvokes) {
  const std::string text =
      "On it.\n<minimax:tool_call>\n<invoke name=\"get_weather\"><parameter "
      "name=\"location\">Paris</parameter>\n<parameter name=\"unit\">celsius</parameter>\n"
      "</invoke>\n<invoke name=\"add\"><parameter name=\"a\">1</parameter>\n<parameter "
      "name=\"b\">[2, 3]</parameter>\n</invoke>\n</minimax:tool_call>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kMiniMaxM2), text);
  EXPECT_EQ(r.content, "On it.\n");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "add", R"({"a":1,"b":[2,3]})");
  ExpectCutIsContent(ToolCallFormat::kMiniMaxM2, text, 50);
}

TEST(MiniMaxM2Test, SchemaKeepsStringsAsStrings) {
  ChatOutputOptions o = ToolsOnly(ToolCallFormat::kMiniMaxM2);
  o.tool_calls.tools =
      Json::parse(R"([{"type":"function","function":{"name":"f","parameters":{"type":"object",)"
                  R"("properties":{"code":{"type":"string"}}}}}])");
  auto r = ParseEverySplit(o,
                           "<minimax:tool_call>\n<invoke name=\"f\"><parameter name=\"code\">"
                           "007</parameter>\n</invoke>\n</minimax:tool_call>");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].arguments, R"({"code":"007"})");
}

// --- Command R -----------------------------------------------------------------

TEST(CommandRTest, PlusActionBlockAsTheTemplateRendersIt) {
  const std::string text =
      "I will check.\nAction:\n```json\n[\n    {\n        \"tool_name\": \"get_weather\",\n"
      "        \"parameters\": {\n            \"location\": \"Paris\",\n            \"unit\": "
      "\"celsius\"\n        }\n    },\n    {\n        \"tool_name\": \"get_time\",\n        "
      "\"parameters\": {}\n    }\n]```";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kCommandR), text);
  EXPECT_EQ(r.content, "I will check.\n");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "get_time", "{}");
  ExpectCutIsContent(ToolCallFormat::kCommandR, text, 30);
}

TEST(CommandRTest, R7bStartActionAndProseAction) {
  auto r = ParseEverySplit(
      ToolsOnly(ToolCallFormat::kCommandR),
      "<|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", "
      "\"parameters\": {\"location\": \"Paris\", \"unit\": \"celsius\"}},\n    {\"tool_call_id\": "
      "\"1\", \"tool_name\": \"get_time\", \"parameters\": {\"timezone\": \"UTC\"}}\n]"
      "<|END_ACTION|>");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"UTC"})");
  EXPECT_EQ(r.content, "");
  const std::string prose = "Action: nothing to do. Action: [1, 2] is a list.";
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kCommandR), prose);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, prose);
}

// --- firefunction v2 -------------------------------------------------------------

TEST(FireFunctionTest, FunctoolsListAfterContent) {
  const std::string text =
      "Calling. functools[{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", "
      "\"unit\": \"celsius\"}}, {\"name\": \"get_time\", \"arguments\": {\"timezone\": \"UTC\"}}]";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kFireFunction), text);
  EXPECT_EQ(r.content, "Calling. ");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"UTC"})");
  ExpectCutIsContent(ToolCallFormat::kFireFunction, text, 3);
  const std::string prose = "import functools\nfunctools.reduce(f, xs)";
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kFireFunction), prose);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, prose);
}

// --- LFM2 ------------------------------------------------------------------------

TEST(Lfm2Test, PythonCallListAsTheTemplateRendersIt) {
  const std::string text =
      "Checking.<|tool_call_start|>[get_weather(location='Paris', unit='celsius'), "
      "search(query=\"it's \\\"quoted\\\" \\u00e9\", n=3, ratio=-2.5e1, exact=True, "
      "tags=['a', \"b\"], opts={'deep': None, \"x\": [1, (2, 3)]}), noargs()]<|tool_call_end|>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kLfm2), text);
  EXPECT_EQ(r.content, "Checking.");
  ASSERT_EQ(r.calls.size(), 3u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "search",
             R"({"query":"it's \"quoted\" é","n":3,"ratio":-25.0,"exact":true,)"
             R"("tags":["a","b"],"opts":{"deep":null,"x":[1,[2,3]]}})");
  ExpectCall(r.calls[2], "noargs", "{}");
  ExpectCutIsContent(ToolCallFormat::kLfm2, text, 20);
}

TEST(Lfm2Test, MalformedCallsStayContent) {
  for (const std::string text :
       {"<|tool_call_start|>[f(1, 2)]<|tool_call_end|>",  // positional arguments
        "<|tool_call_start|>[f(a=bare)]<|tool_call_end|>", "a <|tool_call_start|> tag"}) {
    auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kLfm2), text);
    EXPECT_TRUE(r.calls.empty()) << text;
    EXPECT_EQ(r.content, text);
  }
}

// --- Gemma 4 ---------------------------------------------------------------------

TEST(Gemma4Test, TemplateShapeWithNestedValues) {
  const std::string text =
      "Let me see.<|tool_call>call:get_weather{location:<|\"|>Paris<|\"|>,unit:<|\"|>celsius"
      "<|\"|>}<tool_call|><|tool_call>call:plan{days:3,flags:[true,false],"
      "meta:{note:<|\"|>a, b: {c}<|\"|>,score:0.5}}<tool_call|>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kGemma4), text);
  EXPECT_EQ(r.content, "Let me see.");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "plan",
             R"({"days":3,"flags":[true,false],"meta":{"note":"a, b: {c}","score":0.5}})");
  ExpectCutIsContent(ToolCallFormat::kGemma4, text.substr(text.find("<|tool_call>call:plan")), 20);
}

// --- JSON after a marker: Apertus, GigaChat, <tool_calls>, Nemotron ------------------

TEST(JsonMarkerFormatsTest, ApertusNameKeyedObjects) {
  const std::string text =
      "<|tools_prefix|>[{\"get_weather\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}, "
      "{\"get_time\": {\"timezone\": \"UTC\"}}]<|tools_suffix|>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kApertus), text);
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  ExpectCall(r.calls[1], "get_time", R"({"timezone":"UTC"})");
  ExpectCutIsContent(ToolCallFormat::kApertus, text, 25);
}

TEST(JsonMarkerFormatsTest, GigaChatBothVersions) {
  for (const std::string marker : {"<|function_call|>", "function call<|role_sep|>\n"}) {
    auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kGigaChat),
                             marker +
                                 "{\"name\": \"get_weather\", \"arguments\": {\"location\": "
                                 "\"Paris\", \"unit\": \"celsius\"}}");
    ASSERT_EQ(r.calls.size(), 1u) << marker;
    ExpectCall(r.calls[0], "get_weather", kParisArgs);
    EXPECT_EQ(r.content, "");
  }
}

TEST(JsonMarkerFormatsTest, ToolCallsTagArrayAndJsonLines) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kToolCallsTag),
                           "Sure.\n<tool_calls>[{\"name\": \"get_weather\", \"arguments\": "
                           "{\"location\": \"Paris\", \"unit\": \"celsius\"}, \"id\": \"c1\"}]"
                           "</tool_calls>");
  EXPECT_EQ(r.content, "Sure.\n");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  EXPECT_EQ(r.calls[0].id, "c1");
  const std::string lines =
      "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\n{\"name\": \"b\", \"arguments\": "
      "{\"x\": 1}}\n</tool_calls>";
  r = ParseEverySplit(ToolsOnly(ToolCallFormat::kToolCallsTag), lines);
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[1], "b", R"({"x":1})");
  ExpectCutIsContent(ToolCallFormat::kToolCallsTag, lines, 30);
}

TEST(JsonMarkerFormatsTest, NemotronToolcall) {
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kNemotronV2),
                           "<TOOLCALL>[{\"name\": \"get_weather\", \"arguments\": {\"location\": "
                           "\"Paris\", \"unit\": \"celsius\"}}]</TOOLCALL>");
  ASSERT_EQ(r.calls.size(), 1u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  EXPECT_EQ(r.content, "");
}

// --- Solar Open ------------------------------------------------------------------

TEST(SolarOpenTest, SectionWithIdsNamesAndArgs) {
  const std::string text =
      "<|tool_calls|><|tool_call:begin|>call_a1<|tool_call:name|>get_weather<|tool_call:args|>"
      "{\"location\": \"Paris\", \"unit\": \"celsius\"}<|tool_call:end|><|tool_call:begin|>"
      "call_b2<|tool_call:name|>get_time<|tool_call:args|>{}<|tool_call:end|><|calls|>";
  auto r = ParseEverySplit(ToolsOnly(ToolCallFormat::kSolarOpen), text);
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.calls.size(), 2u);
  ExpectCall(r.calls[0], "get_weather", kParisArgs);
  EXPECT_EQ(r.calls[0].id, "call_a1");
  ExpectCall(r.calls[1], "get_time", "{}");
  EXPECT_EQ(r.calls[1].id, "call_b2");
  ExpectCutIsContent(ToolCallFormat::kSolarOpen, text, 30);
}

}  // namespace
}  // namespace shimmy::chat
