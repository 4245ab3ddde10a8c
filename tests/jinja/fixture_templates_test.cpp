// Renders every real chat template in fixtures/templates for every case in
// cases.json and compares with Python jinja2's output (expected/), under the
// Hugging Face conventions of fixtures/README.md section 3.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/fixture_templates.h"
#include "common/fixtures.h"
#include "jinja/template.h"

namespace shimmy::jinja {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Renders known not to match yet ("TEMPLATE__CASE"). Shrink as fixed.
const std::set<std::string>& KnownFailures() {
  static const std::set<std::string> kKnown = {};
  return kKnown;
}

using testing::TemplatesDir;

std::tm FixedClock() {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  return tm;
}

class FixtureTemplateTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTemplateTest, RendersAllCasesLikeJinja2) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  const Json cases = Json::parse(testing::ReadFile(TemplatesDir() / "cases.json"));
  const Json specials = Json::parse(testing::ReadFile(TemplatesDir() / "special_tokens.json"));
  const Json index = Json::parse(testing::ReadFile(TemplatesDir() / "expected" / "index.json"));
  const Json& tokens = specials.at(name + ".jinja");

  auto tmpl = Template::Parse(testing::ReadFile(TemplatesDir() / (name + ".jinja")));
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message();

  RenderOptions options;
  options.now = FixedClock;
  int matched = 0, known = 0, total = 0;
  for (const Json& c : cases.at("cases")) {
    const std::string key = name + "__" + c.at("name").get<std::string>();
    const Json& expected = index.at(key);
    Json context = Json::object();
    context["messages"] = c.at("messages");
    context["add_generation_prompt"] = true;
    context["bos_token"] = tokens.at("bos_token");
    context["eos_token"] = tokens.at("eos_token");
    if (c.contains("tools")) context["tools"] = c.at("tools");
    auto rendered = (*tmpl)->Render(context, options);

    std::string problem;
    const fs::path file = TemplatesDir() / "expected" / expected.at("file").get<std::string>();
    if (expected.at("status") == "ok") {
      const std::string want = testing::ReadFile(file);
      if (!rendered.ok()) {
        problem = "render failed: " + rendered.error().message();
      } else if (*rendered != want) {
        problem = "output differs:\n--- got ---\n" + *rendered + "\n--- want ---\n" + want;
      }
    } else if (rendered.ok()) {
      problem = "render succeeded but jinja2 raised " + expected.value("error_type", std::string());
    } else if (expected.value("error_type", std::string()) == "raise_exception") {
      const std::string want = testing::ReadFile(file);
      if (rendered.error().message().find(want) == std::string::npos) {
        problem = "error message '" + rendered.error().message() + "' lacks '" + want + "'";
      }
    }
    ++total;
    const bool is_known = KnownFailures().count(key) > 0;
    if (problem.empty()) {
      ++matched;
      if (is_known) std::cout << "[ note ] " << key << " now matches; drop it from KnownFailures\n";
    } else if (is_known) {
      ++known;
    } else {
      ADD_FAILURE() << key << ": " << problem;
    }
  }
  std::cout << "[ jinja ] " << name << ": " << matched << "/" << total << " cases match"
            << (known > 0 ? " (" + std::to_string(known) + " known failures)" : "") << "\n";
}

INSTANTIATE_TEST_SUITE_P(Templates, FixtureTemplateTest,
                         ::testing::ValuesIn(testing::FixtureTemplateNames()),
                         testing::TemplateTestName);

}  // namespace
}  // namespace shimmy::jinja
