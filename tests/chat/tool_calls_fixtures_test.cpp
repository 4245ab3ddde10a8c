// Tool-call format detection and parsing against every fixture chat template
// (../shared/fixtures/templates): which format each template is detected as,
// and whether the detected parser reads back the call the template itself
// rendered for the `tool_call_and_result` case.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "chat/output_test_util.h"
#include "chat/tool_calls.h"
#include "common/fixtures.h"

namespace shimmy::chat {
namespace {

namespace fs = std::filesystem;
using shimmy::testing::FixturesDir;
using shimmy::testing::ReadFile;

fs::path TemplatesDir() { return FixturesDir() / "templates"; }

// Every fixture template and the format DetectToolCallFormat must pick. A new
// template must be added here; "generic" marks templates whose call shape no
// parser reads yet (or that have no tool support).
const std::map<std::string, std::string>& ExpectedFormats() {
  static const std::map<std::string, std::string> kTable = {
      {"Apertus-8B-Instruct", "apertus"},
      {"Apriel-1.6-15b-Thinker-fixed", "tool-calls-tag"},
      {"Bielik-11B-v3.0-Instruct", "hermes"},
      {"ByteDance-Seed-OSS", "seed-oss"},
      {"Cohere2MoE", "command-r"},
      {"CohereForAI-c4ai-command-r-plus-tool_use", "command-r"},
      {"CohereForAI-c4ai-command-r7b-12-2024-tool_use", "command-r"},
      {"GLM-4.6", "hermes"},  // <tool_call>NAME<arg_key>..: the Hermes block's GLM body
      {"GigaChat3-10B-A1.8B", "gigachat"},
      {"GigaChat3.1-10B-A1.8B", "gigachat"},
      {"Kimi-K2-Instruct", "kimi-k2"},
      {"Kimi-K3", "generic"},  // <|open|>call tool=".."<|sep|>..: not parsed yet
      {"LFM2-8B-A1B", "lfm2"},
      {"LFM2.5-8B-A1B", "lfm2"},
      {"LFM2.5-Instruct", "lfm2"},
      {"MiMo-VL", "hermes"},
      {"MiniMax-M1", "tool-calls-tag"},
      {"MiniMax-M2", "minimax-m2"},
      {"MiniMax-M3", "generic"},  // ]<]minimax[>[-prefixed XML values: not parsed yet
      {"Mistral-Small-3.2-24B-Instruct-2506", "mistral"},
      {"NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "qwen3-coder"},
      {"NVIDIA-Nemotron-Nano-v2", "nemotron-v2"},
      {"Qwen-QwQ-32B", "hermes"},
      {"Qwen-Qwen2.5-7B-Instruct", "hermes"},
      {"Qwen3-Coder", "qwen3-coder"},
      {"Qwen3.5-4B", "qwen3-coder"},
      {"Reka-Edge", "hermes"},
      {"StepFun3.5-Flash", "qwen3-coder"},
      {"deepseek-ai-DeepSeek-R1-Distill-Llama-8B", "deepseek"},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "deepseek"},
      {"deepseek-ai-DeepSeek-V3.2", "deepseek-dsml"},
      {"deepseek-ai-DeepSeek-V4", "deepseek-dsml"},
      {"deepseek-ai-DeepSeek-V4-Flash-0731", "deepseek-dsml"},
      {"fireworks-ai-llama-3-firefunction-v2", "firefunction"},
      {"google-gemma-2-2b-it", "generic"},  // no tool support
      {"google-gemma-4-31B-it-interleaved", "gemma4"},
      {"ibm-granite-granite-4.0", "hermes"},
      {"ibm-granite-granite-4.1", "hermes"},
      {"llama-cpp-deepseek-r1", "deepseek"},
      {"llama-cpp-rwkv-world", "generic"},  // no tool support
      {"meetkai-functionary-medium-v3.1", "functionary-v3.1"},
      {"meetkai-functionary-medium-v3.2", "functionary-v3.2"},
      {"meta-llama-Llama-3.1-8B-Instruct", "llama3"},
      {"meta-llama-Llama-3.3-70B-Instruct", "llama3"},
      {"mistralai-Ministral-3-14B-Reasoning-2512", "mistral"},
      {"moonshotai-Kimi-K2", "kimi-k2"},
      {"muse-glimmer", "generic"},  // to=NAME<|message|><atem:function_calls>: not parsed yet
      {"openbmb-MiniCPM5-1B", "generic"},  // <function name=".."><param ..>: not parsed yet
      {"poolside-Laguna-S-2.1", "hermes"},
      {"poolside-Laguna-XS-2.1", "hermes"},
      {"poolside-Laguna-XS.2", "hermes"},
      {"tencent-Hy3", "generic"},  // <tool_call:opensource>..: not parsed yet
      {"unsloth-Apriel-1.5", "tool-calls-tag"},
      {"unsloth-mistral-Devstral-Small-2507", "mistral"},
      {"upstage-Solar-Open-100B", "solar-open"},
  };
  return kTable;
}

std::vector<std::string> TemplateNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(TemplatesDir())) {
    if (entry.path().extension() == ".jinja") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(DetectFixturesTest, EveryTemplateIsDetectedAsItsFamily) {
  SHIMMY_REQUIRE_FIXTURES();
  const auto& table = ExpectedFormats();
  std::set<std::string> seen;
  for (const std::string& name : TemplateNames()) {
    seen.insert(name);
    const std::string source = ReadFile(TemplatesDir() / (name + ".jinja"));
    ASSERT_FALSE(source.empty()) << name;
    const std::string got(ToolCallFormatName(DetectToolCallFormat(source)));
    auto it = table.find(name);
    if (it == table.end()) {
      ADD_FAILURE() << "template " << name << " (detected as " << got
                    << ") is missing from the table";
      continue;
    }
    EXPECT_EQ(got, it->second) << name;
  }
  for (const auto& [name, format] : table) {
    EXPECT_TRUE(seen.count(name)) << "table names a missing template: " << name;
  }
}

// Templates whose rendered `tool_call_and_result` prompt holds no call the
// detected parser can read back, and why. Every other template with that
// render must round-trip.
const std::map<std::string, std::string>& NoRoundTrip() {
  static const std::map<std::string, std::string> kTable = {
      // The template drops assistant tool calls from the prompt; the model
      // still emits <|tool_call_start|>[..]<|tool_call_end|>.
      {"LFM2-8B-A1B", "template does not render past calls"},
      {"LFM2.5-Instruct", "template does not render past calls"},
      {"deepseek-ai-DeepSeek-R1-Distill-Llama-8B", "template does not render past calls"},
      {"llama-cpp-rwkv-world", "no tool support"},
      // Shapes not parsed yet (detected as generic).
      {"Kimi-K3", "unsupported format"},
      {"MiniMax-M3", "unsupported format"},
      {"muse-glimmer", "unsupported format"},
      {"openbmb-MiniCPM5-1B", "unsupported format"},
      {"tencent-Hy3", "unsupported format"},
  };
  return kTable;
}

size_t CommonPrefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

TEST(DetectFixturesTest, RenderedCallsParseBack) {
  SHIMMY_REQUIRE_FIXTURES();
  const Json cases = Json::parse(ReadFile(TemplatesDir() / "cases.json"));
  Json tools;
  for (const Json& c : cases["cases"]) {
    if (c["name"] == "tool_call_and_result") tools = c["tools"];
  }
  ASSERT_TRUE(tools.is_array());
  int round_trips = 0;
  for (const std::string& name : TemplateNames()) {
    const fs::path expected = TemplatesDir() / "expected";
    const std::string with_call = ReadFile(expected / (name + "__tool_call_and_result.txt"));
    const std::string prompt_only = ReadFile(expected / (name + "__tools_available.txt"));
    if (with_call.empty() || prompt_only.empty()) continue;  // the render is an error
    // The same system and user turns end with the generation prompt in one and
    // go on with the assistant's turn in the other: past the common prefix is
    // what the model emits, up to the tool result that follows it.
    size_t from = CommonPrefix(with_call, prompt_only);
    // A prefix that ends inside a tag (the prompt's "<|START_THINKING|>" vs
    // the turn's "<|START_ACTION|>") gives the tag back.
    const size_t open = with_call.rfind('<', from == 0 ? 0 : from - 1);
    const size_t close = with_call.rfind('>', from == 0 ? 0 : from - 1);
    if (open != std::string::npos && (close == std::string::npos || open > close)) from = open;
    // (rwkv-world renders no tool result at all: then to the end.)
    const size_t to = std::min(with_call.find("temperature", from), with_call.size());
    const std::string segment = with_call.substr(from, to - from);
    const ToolCallFormat format =
        DetectToolCallFormat(ReadFile(TemplatesDir() / (name + ".jinja")));
    ChatOutputOptions options = testing::ToolsOnly(format);
    options.tool_calls.tools = tools;
    SCOPED_TRACE(name + " (" + std::string(ToolCallFormatName(format)) + "): " + segment);
    const testing::Collected r = testing::ParseEverySplit(options, segment);
    if (NoRoundTrip().count(name)) {
      EXPECT_TRUE(r.calls.empty());
      continue;
    }
    ASSERT_EQ(r.calls.size(), 1u);
    EXPECT_EQ(r.calls[0].name, "get_weather");
    EXPECT_EQ(r.calls[0].arguments, R"({"location":"Paris","unit":"celsius"})");
    ++round_trips;
  }
  EXPECT_GE(round_trips, 41);
}

}  // namespace
}  // namespace shimmy::chat
