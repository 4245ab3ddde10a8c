// Registry::Resolve: exact, case-insensitive, :latest, unique prefix;
// aliases; never a path.
#include "discovery/registry.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/fixtures.h"

namespace shimmy::discovery {
namespace {

Registry Sample() {
  std::vector<ModelEntry> models;
  for (const char* name : {"tiny:latest", "tiny:q4", "someone/tiny:q4",
                           "qwen2.5-0.5b-instruct:q4_k_m", "stories260k", "Upper:tag"}) {
    ModelEntry e;
    e.name = name;
    e.path = std::string("/models/") + name;
    models.push_back(e);
  }
  return Registry(std::move(models));
}

std::string Resolved(const Registry& r, std::string_view name) {
  auto e = r.Resolve(name);
  return e ? (*e)->name : "error: " + e.error().message();
}

TEST(Registry, ResolveOrder) {
  const Registry r = Sample();
  EXPECT_EQ(Resolved(r, "tiny:q4"), "tiny:q4");
  EXPECT_EQ(Resolved(r, "TINY:Q4"), "tiny:q4");
  EXPECT_EQ(Resolved(r, "Upper:tag"), "Upper:tag");
  EXPECT_EQ(Resolved(r, "upper:TAG"), "Upper:tag");
  EXPECT_EQ(Resolved(r, "tiny"), "tiny:latest");
  EXPECT_EQ(Resolved(r, "qwen2.5"), "qwen2.5-0.5b-instruct:q4_k_m");
  EXPECT_EQ(Resolved(r, "someone/tiny"), "someone/tiny:q4");
  EXPECT_EQ(Resolved(r, "stories"), "stories260k");
}

TEST(Registry, AmbiguousAndUnknownAreErrors) {
  const Registry r = Sample();
  EXPECT_EQ(Resolved(r, "tiny:"), "error: 'tiny:' matches several models: tiny:latest, tiny:q4");
  EXPECT_EQ(Resolved(r, "nothing"),
            "error: no model named 'nothing' (`shimmy list` shows the names)");
  EXPECT_FALSE(r.Resolve("").ok());
  EXPECT_FALSE(r.Resolve("/models/stories260k").ok()) << "a path is never a name";
  EXPECT_FALSE(r.Resolve("/").ok());
}

TEST(Registry, Aliases) {
  Registry r = Sample();
  EXPECT_TRUE(r.AddAlias("default", "qwen2.5").ok());
  EXPECT_EQ(Resolved(r, "default"), "qwen2.5-0.5b-instruct:q4_k_m");
  EXPECT_EQ(Resolved(r, "DEFAULT"), "qwen2.5-0.5b-instruct:q4_k_m");
  EXPECT_FALSE(r.AddAlias("tiny:q4", "stories260k").ok()) << "cannot shadow a name";
  EXPECT_FALSE(r.AddAlias("default", "stories260k").ok()) << "cannot redefine";
  EXPECT_FALSE(r.AddAlias("x", "missing").ok());
  EXPECT_EQ(r.models()[3].aliases, std::vector<std::string>{"default"});
}

TEST(Registry, AliasFile) {
  const auto dir = testing::TempDir("registry-aliases");
  Registry r = Sample();
  std::ofstream(dir / "aliases.json") << R"({"small": "stories260k", "bad": "nope", "n": 3})";
  const auto problems = r.LoadAliasFile((dir / "aliases.json").string());
  EXPECT_EQ(Resolved(r, "small"), "stories260k");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].message.find("alias 'bad'"), std::string::npos) << problems[0].message;
  EXPECT_TRUE(r.LoadAliasFile((dir / "absent.json").string()).empty());
  std::ofstream(dir / "broken.json") << "{";
  EXPECT_EQ(r.LoadAliasFile((dir / "broken.json").string()).size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shimmy::discovery
