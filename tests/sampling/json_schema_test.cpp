#include "sampling/json_schema.h"

#include <gtest/gtest.h>

#include "grammar_test_util.h"

namespace shimmy {
namespace {

using Json = nlohmann::ordered_json;
using testing::IsPrefix;
using testing::Matches;

std::shared_ptr<const Grammar> Schema(const char* text) {
  auto g = JsonSchemaGrammar(Json::parse(text));
  EXPECT_TRUE(g.ok()) << g.error().message();
  if (g.ok()) return *g;
  return nullptr;
}

std::string SchemaError(const char* text) {
  auto g = JsonSchemaGrammar(Json::parse(text));
  return g.ok() ? "" : g.error().message();
}

TEST(JsonObject, AcceptsObjectsOnly) {
  auto g = JsonObjectGrammar();
  ASSERT_TRUE(g.ok()) << g.error().message();
  for (const char* ok :
       {"{}", " {}", "{ }", "{\"a\": 1}",
        "{\"a\":[1,2.5e3,-0,\"x\\u00e9\\n\",true,null,{\"b\":{}}]}",
        "{\n  \"k\": \"\xC3\xA9\xF0\x9F\x98\x80\",\n  \"s\": \"\\ud83d\\ude00\"\n}"}) {
    EXPECT_TRUE(Matches(*g, ok)) << ok;
    EXPECT_TRUE(Json::accept(ok)) << ok;
  }
  for (const char* bad :
       {"[]", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"s\":\"\\ud800\"}", "{\"s\":\"\x01\"}",
        "{\"a\":1}x", "{'a':1}", "{\"a\":tru}", "  {}", "{\"a\":1.}"}) {
    EXPECT_FALSE(Matches(*g, bad)) << bad;
  }
  // Whitespace is bounded: a model cannot pad forever.
  EXPECT_FALSE(IsPrefix(*g, "{" + std::string(30, ' ')));
  EXPECT_FALSE(IsPrefix(*g, "{\n" + std::string(21, ' ')));
  EXPECT_TRUE(IsPrefix(*g, "{\n" + std::string(20, ' ')));
}

TEST(JsonSchema, ObjectWithRequiredAndOptionalProperties) {
  auto g = Schema(R"({"type": "object", "properties": {
      "name": {"type": "string", "maxLength": 3},
      "age": {"type": "integer", "minimum": 0},
      "tags": {"type": "array", "items": {"enum": ["a", "b", 3]}, "minItems": 1, "maxItems": 2}},
    "required": ["name", "tags"], "additionalProperties": false})");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(Matches(g, R"({"name": "bob", "age": 42, "tags": ["a", 3]})"));
  EXPECT_TRUE(Matches(g, R"({"name":"","tags":["b"]})"));
  EXPECT_FALSE(Matches(g, R"({"name": "bobby", "tags": ["a"]})"));          // maxLength
  EXPECT_FALSE(Matches(g, R"({"name": "bo", "age": -1, "tags": ["a"]})"));  // minimum 0
  EXPECT_FALSE(Matches(g, R"({"name": "bo", "tags": []})"));                // minItems
  EXPECT_FALSE(Matches(g, R"({"name": "bo", "tags": ["a","a","a"]})"));     // maxItems
  EXPECT_FALSE(Matches(g, R"({"name": "bo", "tags": ["c"]})"));             // enum
  EXPECT_FALSE(Matches(g, R"({"tags": ["a"]})"));                           // required
  EXPECT_FALSE(Matches(g, R"({"name": "bo", "tags": ["a"], "x": 1})"));     // no extras
  EXPECT_FALSE(Matches(g, R"({"name": "bo", "age": 1.5, "tags": ["a"]})"));
}

TEST(JsonSchema, ExtraPropertiesWhenAllowed) {
  auto g = Schema(
      R"({"properties": {"a": {"type": "boolean"}}, "additionalProperties": {"type": "null"}})");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(Matches(g, R"({})"));
  EXPECT_TRUE(Matches(g, R"({"a": true, "z": null, "y": null})"));
  EXPECT_TRUE(Matches(g, R"({"z": null})"));
  EXPECT_FALSE(Matches(g, R"({"z": 1})"));
  auto open = Schema(R"({"type": "object", "required": ["id"]})");
  ASSERT_NE(open, nullptr);
  EXPECT_TRUE(Matches(open, R"({"id": [1], "other": {}})"));
  EXPECT_FALSE(Matches(open, R"({"other": {}})"));
}

TEST(JsonSchema, TypesUnionsConstAndStrings) {
  auto g = Schema(R"({"anyOf": [{"type": ["integer", "null"]}, {"const": {"k": "v"}},
                                {"type": "string", "minLength": 2, "maxLength": 2}]})");
  ASSERT_NE(g, nullptr);
  for (const char* ok :
       {"12", "-3", "null", R"({"k":"v"})", R"("ab")", R"("\n\u00e9")", "\"\xC3\xA9\xC3\xA9\""}) {
    EXPECT_TRUE(Matches(g, ok)) << ok;
  }
  for (const char* bad : {"1.5", R"({"k":"w"})", R"("a")", R"("abc")", "true"})
    EXPECT_FALSE(Matches(g, bad)) << bad;
  auto num = Schema(R"({"type": "number"})");
  for (const char* ok : {"0", "-1.25", "3e10", "1E-7", "12345678901234567.5e+12"}) {
    EXPECT_EQ(Matches(num, ok), std::string(ok) != "12345678901234567.5e+12")
        << ok;  // 17 integer digits: too long
  }
}

TEST(JsonSchema, RefsAndRecursion) {
  auto g = Schema(R"({"$ref": "#/$defs/node", "$defs": {"node": {"type": "object",
      "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
      "required": ["v"], "additionalProperties": false}}})");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(Matches(g, R"({"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": []}]})"));
  EXPECT_FALSE(Matches(g, R"({"v": 1, "kids": [{"w": 2}]})"));
  auto defs = Schema(
      R"({"definitions": {"x": {"type": "boolean"}}, "type": "array", "items": {"$ref": "#/definitions/x"}})");
  EXPECT_TRUE(Matches(defs, "[true, false]"));
}

TEST(JsonSchema, UnsupportedKeywordsAreNamed) {
  EXPECT_NE(SchemaError(R"({"type": "string", "pattern": "^a"})").find("'pattern'"),
            std::string::npos);
  EXPECT_NE(SchemaError(R"({"type": "integer", "maximum": 3})").find("'maximum'"),
            std::string::npos);
  EXPECT_NE(SchemaError(R"({"type": "integer", "minimum": 5})").find("'minimum'"),
            std::string::npos);
  EXPECT_NE(SchemaError(R"({"type": "array", "uniqueItems": true})").find("'uniqueItems'"),
            std::string::npos);
  EXPECT_NE(SchemaError(R"({"allOf": [{}, {}]})").find("'allOf'"), std::string::npos);
  EXPECT_NE(SchemaError(R"({"type": "wat"})").find("wat"), std::string::npos);
  EXPECT_NE(SchemaError(R"({"$ref": "http://x/y"})").find("$ref"), std::string::npos);
  EXPECT_NE(SchemaError(R"({"$ref": "#/nope"})").find("#/nope"), std::string::npos);
  EXPECT_FALSE(SchemaError(R"({"$ref": "#"})").empty());  // a schema that is only itself
  EXPECT_FALSE(SchemaError(R"(false)").empty());
  EXPECT_FALSE(SchemaError(R"({"type": "string", "maxLength": 1000000000})").empty());
  EXPECT_FALSE(
      SchemaError(R"({"properties": {}, "required": ["x"], "additionalProperties": false})")
          .empty());
  // Annotations and a false uniqueItems are fine.
  EXPECT_TRUE(
      SchemaError(R"({"type": "array", "uniqueItems": false, "title": "t", "description": "d",
                              "default": [], "examples": [[]], "$schema": "x"})")
          .empty());
  // Deep nesting is an error, not a stack overflow.
  std::string deep = "true";
  for (int i = 0; i < 5000; ++i) deep = R"({"type":"array","items":)" + deep + "}";
  EXPECT_FALSE(JsonSchemaGrammar(Json::parse(deep)).ok());
}

}  // namespace
}  // namespace shimmy

namespace shimmy {
namespace {

// The shortest completion closes whatever is open, in order, and is a
// sentence of the grammar once appended.
TEST(ShortestCompletion, ClosesOpenJsonStructures) {
  auto g = JsonObjectGrammar();
  ASSERT_TRUE(g.ok());
  const std::pair<const char*, const char*> cases[] = {
      {"{\"a\": [1, {\"b\": \"x", "\"}]}"},
      {"{\"a\":", "0}"},
      {"{", "}"},
      {"{\"k\": tr", "ue}"},
      {"{\"a\": 1}", ""},
  };
  for (const auto& [prefix, want] : cases) {
    auto m = GrammarMatcher::Create(*g);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(m->Accept(prefix).ok()) << prefix;
    auto s = m->ShortestCompletion(64);
    ASSERT_TRUE(s.ok()) << s.error().message();
    ASSERT_TRUE(s->has_value()) << prefix;
    EXPECT_EQ(s->value().size(), std::string(want).size()) << prefix << " -> " << s->value();
    EXPECT_TRUE(testing::Matches(*g, std::string(prefix) + s->value())) << prefix << s->value();
  }
  // Too deep to close within the byte budget: no answer rather than a wrong one.
  auto m = GrammarMatcher::Create(*g);
  ASSERT_TRUE(m->Accept("{\"a\":[[[[[[[[[[").ok());
  auto s = m->ShortestCompletion(5);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->has_value());
}

}  // namespace
}  // namespace shimmy
