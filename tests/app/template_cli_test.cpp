// shimmy template: every fixture template renders every case through the
// command line byte for byte as Python jinja2 did; errors exit 2 with the
// template's message on stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/fixture_templates.h"
#include "common/fixtures.h"
#include "common/run_command.h"

namespace shimmy {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using testing::RunCommand;
using testing::ShellQuote;

using testing::TemplatesDir;

std::string Shimmy(const std::string& args) { return ShellQuote(SHIMMY_BINARY) + " " + args; }

class TemplateCliTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TemplateCliTest, PrintsWhatJinja2Rendered) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  const Json cases = Json::parse(testing::ReadFile(TemplatesDir() / "cases.json"));
  const Json tokens =
      Json::parse(testing::ReadFile(TemplatesDir() / "special_tokens.json")).at(name + ".jinja");
  const Json index = Json::parse(testing::ReadFile(TemplatesDir() / "expected" / "index.json"));
  const std::string command = Shimmy("template --now 2026-01-01 --template " +
                                     ShellQuote((TemplatesDir() / (name + ".jinja")).string()));
  for (const Json& c : cases.at("cases")) {
    const std::string key = name + "__" + c.at("name").get<std::string>();
    const Json& expected = index.at(key);
    Json input = {{"messages", c.at("messages")},
                  {"bos_token", tokens.at("bos_token")},
                  {"eos_token", tokens.at("eos_token")}};
    if (c.contains("tools")) input["tools"] = c.at("tools");
    const std::string want =
        testing::ReadFile(TemplatesDir() / "expected" / expected.at("file").get<std::string>());
    if (expected.at("status") == "ok") {
      const auto r = RunCommand(command + " 2>/dev/null", input.dump());
      EXPECT_EQ(r.exit_code, 0) << key;
      EXPECT_EQ(r.out, want) << key;
    } else {
      const auto r = RunCommand(command + " 2>&1 >/dev/null", input.dump());
      EXPECT_EQ(r.exit_code, 2) << key << ": " << r.out;
      EXPECT_EQ(r.out.rfind("error: ", 0), 0u) << key << ": " << r.out;
      if (expected.value("error_type", "") == "raise_exception") {
        EXPECT_NE(r.out.find(want), std::string::npos) << key << ": " << r.out;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Templates, TemplateCliTest,
                         ::testing::ValuesIn(testing::FixtureTemplateNames()),
                         testing::TemplateTestName);

const char* kInput = R"({"messages":[{"role":"user","content":"Hi"}]})";

TEST(TemplateCli, UsesTheModelsOwnTemplate) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string vocab =
      (testing::FixturesDir() / "tokenizer" / "ggml-vocab-qwen2.gguf").string();
  const auto r = RunCommand(Shimmy("template --model " + ShellQuote(vocab)), kInput);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  // add_generation_prompt false and extra variables pass through.
  const auto no_prompt = RunCommand(Shimmy("template --model " + ShellQuote(vocab)),
                                    R"({"messages":[{"role":"user","content":"Hi"}],
                                        "add_generation_prompt":false})");
  EXPECT_EQ(no_prompt.out,
            "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n");
}

TEST(TemplateCli, ExtraVariablesAndNormalisation) {
  const fs::path dir = testing::TempDir("template-cli");
  const fs::path tmpl = dir / "t.jinja";
  {
    std::ofstream(tmpl)
        << "{{ flavour }}:{% for m in messages %}"
           "{{ m.tool_calls[0].function.arguments.x if m.tool_calls else m.content }}"
           "{% endfor %}";
  }
  const std::string input =
      R"({"flavour":"mint","messages":[{"role":"user","content":"a"},
          {"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{\"x\": 5}"}}]}]})";
  const std::string cmd = Shimmy("template -t " + ShellQuote(tmpl.string()));
  EXPECT_EQ(RunCommand(cmd + " --normalize", input).out, "mint:a5");
  // As given, the arguments are a string with no attribute x.
  EXPECT_EQ(RunCommand(cmd, input).out, "mint:a");
}

TEST(TemplateCli, BadInputIsAClearErrorWithExitCode2) {
  const fs::path dir = testing::TempDir("template-cli-bad");
  const fs::path tmpl = dir / "t.jinja";
  { std::ofstream(tmpl) << "{% for m in messages %}{{ m.content }}"; }
  const std::string t = " -t " + ShellQuote(tmpl.string());
  auto r = RunCommand(Shimmy("template" + t + " 2>&1"), kInput);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("line 1"), std::string::npos) << r.out;

  r = RunCommand(Shimmy("template -t /nonexistent.jinja 2>&1"), kInput);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent.jinja"), std::string::npos) << r.out;

  r = RunCommand(Shimmy("template -t /dev/null 2>&1"), "{not json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("not a JSON object"), std::string::npos) << r.out;

  r = RunCommand(Shimmy("template 2>&1"), kInput);  // neither --template nor --model
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace shimmy
