// Grammar-constrained generation with random-weight models, which otherwise
// emit noise: every output must parse and validate against its schema.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "common/fixtures.h"
#include "engine/generator.h"
#include "sampling/json_schema.h"

namespace shimmy {
namespace {

using Json = nlohmann::ordered_json;

#if defined(__SANITIZE_ADDRESS__)
constexpr int kSeeds = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kSeeds = 4;
#else
constexpr int kSeeds = 25;
#endif
#else
constexpr int kSeeds = 25;
#endif

// A validator for the subset json_schema.h compiles. Returns "" when
// `v` is valid, else why not.
std::string Invalid(const Json& v, const Json& s, const Json& root) {
  if (s.is_boolean()) return s.get<bool>() ? "" : "false schema";
  if (s.contains("$ref")) {
    const std::string ref = s["$ref"].get<std::string>();
    return Invalid(v, root.at(Json::json_pointer(ref.substr(1))), root);
  }
  if (s.contains("const") && v != s["const"]) return "const " + s["const"].dump();
  if (s.contains("enum")) {
    bool found = false;
    for (const Json& e : s["enum"]) found = found || e == v;
    if (!found) return "not in enum: " + v.dump();
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!s.contains(key)) continue;
    bool any = false;
    for (const Json& alt : s[key]) any = any || Invalid(v, alt, root).empty();
    if (!any) return std::string("no ") + key + " branch matches " + v.dump();
  }
  if (s.contains("type")) {
    std::vector<std::string> types;
    if (s["type"].is_string()) types.push_back(s["type"].get<std::string>());
    for (const Json& t : s["type"].is_array() ? s["type"] : Json::array())
      types.push_back(t.get<std::string>());
    bool ok = false;
    for (const std::string& t : types) {
      ok = ok || (t == "object" && v.is_object()) || (t == "array" && v.is_array()) ||
           (t == "string" && v.is_string()) || (t == "number" && v.is_number()) ||
           (t == "integer" && v.is_number_integer()) || (t == "boolean" && v.is_boolean()) ||
           (t == "null" && v.is_null());
    }
    if (!ok) return "wrong type: " + v.dump();
  }
  if (v.is_string()) {
    const std::string str = v.get<std::string>();
    size_t n = 0;
    for (size_t pos = 0; pos < str.size(); ++n) utf8::DecodeOne(str, pos);
    if (s.contains("minLength") && n < s["minLength"].get<size_t>())
      return "too short: " + v.dump();
    if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return "too long: " + v.dump();
  }
  if (v.is_number() && s.contains("minimum") && v.get<double>() < s["minimum"].get<double>())
    return "below minimum";
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return "too few items";
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return "too many items";
    for (const Json& item : v) {
      if (s.contains("items")) {
        if (auto why = Invalid(item, s["items"], root); !why.empty()) return why;
      }
    }
  }
  if (v.is_object()) {
    for (const Json& r : s.value("required", Json::array())) {
      if (!v.contains(r.get<std::string>())) return "missing " + r.get<std::string>();
    }
    const Json props = s.value("properties", Json::object());
    const Json extra = s.value("additionalProperties", Json(true));
    for (const auto& [k, x] : v.items()) {
      const Json& sub = props.contains(k) ? props[k] : extra;
      if (auto why = Invalid(x, sub, root); !why.empty()) return k + ": " + why;
    }
  }
  return "";
}

const char* const kSchemas[] = {
    R"({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 12},
        "age": {"type": "integer", "minimum": 0},
        "color": {"enum": ["red", "green", "blue"]},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "minItems": 1, "maxItems": 3},
        "ok": {"type": "boolean"}},
      "required": ["name", "age", "color", "tags"], "additionalProperties": false})",
    R"({"type": "object", "properties": {
        "id": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 8}]},
        "point": {"$ref": "#/$defs/point"},
        "values": {"type": "array", "items": {"type": ["number", "null"]}, "maxItems": 4},
        "note": {"type": ["string", "null"], "minLength": 1, "maxLength": 10}},
      "required": ["id", "point"], "additionalProperties": false,
      "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                          "required": ["x", "y"], "additionalProperties": false}}})",
    R"({"type": "array", "items": {"enum": [1, 2.5, "x", null, {"k": [true]}]}, "minItems": 2, "maxItems": 5})",
    R"({"type": "object", "properties": {"s": {"type": "string", "minLength": 1, "maxLength": 5},
        "c": {"const": "fixed \"q\""}}, "required": ["s", "c"], "additionalProperties": false})",
};

class ConstrainedGenerate : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    SHIMMY_REQUIRE_FIXTURES();
    auto inst = Instance::Create({.path = (testing::FixturesDir() / "models" / GetParam()).string(),
                                  .n_ctx = 512,
                                  .n_threads = 2});
    ASSERT_TRUE(inst.ok()) << inst.error().message();
    inst_ = std::move(inst).value();
  }

  GenerateRequest Request(std::shared_ptr<const Grammar> grammar, int seed, int max_tokens) {
    GenerateRequest req;
    req.prompt = inst_->tokenizer().Encode("Reply in JSON:");
    req.max_tokens = max_tokens;
    req.sampling.temperature = 1.0f;
    req.sampling.top_k = 0;
    req.sampling.top_p = 1.0f;
    req.sampling.seed = static_cast<uint64_t>(seed);
    req.grammar = std::move(grammar);
    return req;
  }

  std::unique_ptr<Instance> inst_;
};

TEST_P(ConstrainedGenerate, EverySchemaOutputValidates) {
  const auto start = std::chrono::steady_clock::now();
  int n = 0;
  for (const char* text : kSchemas) {
    const Json schema = Json::parse(text);
    auto grammar = JsonSchemaGrammar(schema);
    ASSERT_TRUE(grammar.ok()) << grammar.error().message();
    for (int seed = 0; seed < kSeeds; ++seed, ++n) {
      // Every value is bounded (maxLength, maxItems, digit runs, whitespace),
      // so each output ends well within 400 tokens of at least one byte.
      auto out = Generate(*inst_, Request(*grammar, seed, 400));
      ASSERT_TRUE(out.ok()) << out.error().message();
      ASSERT_EQ(out->finish_reason, "stop") << out->text;
      Json value;
      ASSERT_NO_THROW(value = Json::parse(out->text)) << out->text;
      EXPECT_EQ(Invalid(value, schema, schema), "") << out->text;
    }
  }
  std::printf(
      "[ schemas  ] %s: %d outputs in %.0f ms\n", GetParam(), n,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

TEST_P(ConstrainedGenerate, JsonObjectOutputsAreWholeObjectsWithinTheBudget) {
  // Strings and nesting are unbounded in json_object mode; as the budget
  // runs out the constraint steers to the shortest way to close, so every
  // output is a whole object, never a cut-off prefix.
  auto grammar = JsonObjectGrammar();
  ASSERT_TRUE(grammar.ok());
  int closed_early = 0;
  for (int max_tokens : {120, 24}) {
    for (int seed = 0; seed < kSeeds; ++seed) {
      auto out = Generate(*inst_, Request(*grammar, seed, max_tokens));
      ASSERT_TRUE(out.ok()) << out.error().message();
      EXPECT_EQ(out->finish_reason, "stop") << out->text;
      EXPECT_LE(out->tokens.size(), static_cast<size_t>(max_tokens));
      Json value;
      ASSERT_NO_THROW(value = Json::parse(out->text)) << out->text;
      EXPECT_TRUE(value.is_object()) << out->text;
      closed_early += out->tokens.size() + 16 < static_cast<size_t>(max_tokens);
    }
  }
  std::printf("[ json     ] %s: %d objects, %d closed by the model well before the budget\n",
              GetParam(), 2 * kSeeds, closed_early);
}

TEST_P(ConstrainedGenerate, StopStringsStillApply) {
  auto grammar = JsonSchemaGrammar(Json::parse(kSchemas[0]));
  ASSERT_TRUE(grammar.ok());
  auto req = Request(*grammar, 1, 400);
  req.stop = {"\"age\""};
  auto out = Generate(*inst_, req);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->finish_reason, "stop");
  EXPECT_EQ(out->text.find("age"), std::string::npos) << out->text;
  EXPECT_NE(out->text.find("\"name\""), std::string::npos) << out->text;
}

TEST_P(ConstrainedGenerate, GreedyIsDeterministicAndEmptyGrammarStopsAtOnce) {
  auto grammar = JsonSchemaGrammar(Json::parse(kSchemas[3]));
  ASSERT_TRUE(grammar.ok());
  auto req = Request(*grammar, 0, 400);
  req.sampling.temperature = 0;
  auto a = Generate(*inst_, req);
  auto b = Generate(*inst_, req);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->text, b->text);
  EXPECT_EQ(a->finish_reason, "stop");

  auto empty = Grammar::Parse("root ::= \"\"");
  ASSERT_TRUE(empty.ok());
  auto out = Generate(*inst_, Request(*empty, 0, 10));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->finish_reason, "stop");
  EXPECT_TRUE(out->tokens.empty());
}

INSTANTIATE_TEST_SUITE_P(Models, ConstrainedGenerate,
                         ::testing::Values("stories260K.gguf", "tiny-random-llama-Q4_K_M.gguf",
                                           "tiny-random-qwen2-F32.gguf"),
                         [](const auto& info) {
                           std::string name = info.param;
                           name = name.substr(0, name.find('.'));
                           for (char& c : name) c = (c == '-' ? '_' : c);
                           return name;
                         });

}  // namespace
}  // namespace shimmy
