// End to end: realistic stores under a temporary HOME, listed by the shimmy
// binary (`list --json`, `discover --json`) and by the library.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/fixtures.h"
#include "common/run_command.h"
#include "discovery/discover.h"
#include "discovery/registry.h"
#include "store_builder.h"
#include "test_models.h"

namespace shimmy::discovery {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSystemOllama = "/usr/share/ollama/.ollama/models";

using CliRun = testing::CommandOutput;

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Runs shimmy in the store's working folder with only the store's
// environment; every path under the store root reads "$ROOT" in the output.
CliRun Shimmy(const fake::Store& s, const std::string& args, const std::string& extra_env = "") {
  const std::string root = s.root.string();
  const std::string cmd = "cd '" + s.work.string() + "' && env -i PATH=/usr/bin:/bin HOME='" +
                          s.home.string() + "' SHIMMY_MODEL_PATHS='" + s.custom.string() + ";" +
                          root + "/absent' " + extra_env + " " + SHIMMY_BINARY + " " + args +
                          " 2>&1";
  CliRun r = testing::RunCommand(cmd);
  r.out = ReplaceAll(r.out, root, "$ROOT");
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHIMMY_REQUIRE_FIXTURES();
    store_ = fake::BuildStore("discovery-store");
  }
  void TearDown() override {
    if (!store_.root.empty()) fake::RemoveStore(store_);
  }
  fake::Store store_;
};

std::string ExpectedList() {
  return testing::ReadFile(fs::path(SHIMMY_DISCOVERY_TEST_DIR) / "expected_list.json");
}

nlohmann::json ParseOrFail(const CliRun& r) {
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return nlohmann::json::parse(r.out, nullptr, false);
}

// The exact `list --json` output, first from a cold scan, then from the
// discovery cache the first run left in ~/.cache/shimmy, then uncached.
TEST_F(StoreTest, ListJsonIsExact) {
  if (fs::exists(kSystemOllama)) GTEST_SKIP() << kSystemOllama << " exists on this machine";
  const nlohmann::json expected = nlohmann::json::parse(ExpectedList());
  const CliRun cold = Shimmy(store_, "list --json");
  EXPECT_EQ(ParseOrFail(cold), expected) << cold.out;
  EXPECT_EQ(cold.out, ExpectedList()) << "key order and layout";
  EXPECT_TRUE(fs::exists(store_.home / ".cache/shimmy/discovery.json"));

  EXPECT_EQ(Shimmy(store_, "list --json").out, cold.out) << "from the cache";
  EXPECT_EQ(Shimmy(store_, "list --json", "SHIMMY_NO_DISCOVERY_CACHE=1").out, cold.out);
}

TEST_F(StoreTest, CacheNoticesChangedFiles) {
  auto stories = [&] {
    for (const auto& e : ParseOrFail(Shimmy(store_, "list --json"))) {
      if (e["name"] == "stories260k") return e;
    }
    return nlohmann::json();
  };
  EXPECT_EQ(stories()["quant"], "F32");
  const fs::path file = store_.home / "models/stories260K.gguf";
  fs::remove(file);
  fs::copy_file(testing::FixturesDir() / "models/tiny-random-llama-Q8_0.gguf", file);
  const nlohmann::json changed = stories();
  EXPECT_EQ(changed["quant"], "Q8_0");
  EXPECT_EQ(changed["size_bytes"], fs::file_size(file));
}

TEST_F(StoreTest, LlmOnly) {
  std::vector<std::string> names;
  for (const auto& e : ParseOrFail(Shimmy(store_, "list --llm-only --json"))) {
    EXPECT_EQ(e["kind"], "llm") << e["name"];
    names.push_back(e["name"]);
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_NE(std::find(names.begin(), names.end(), "tiny-random-llama-2:q4_k_m"), names.end())
      << "names do not change with the filter";
}

TEST_F(StoreTest, TextList) {
  const CliRun r = Shimmy(store_, "list");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out.starts_with("NAME ")) << r.out;
  EXPECT_NE(r.out.find("KIND       ARCH   PARAMS  QUANT   SIZE     CONTEXT  SOURCE"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("someone/tiny:q4               llm        llama  1.8M    Q4_1    1.1 MiB  "
                       "512      ollama"),
            std::string::npos)
      << r.out;
}

TEST_F(StoreTest, DiscoverShowsPlacesAndProblems) {
  if (fs::exists(kSystemOllama)) GTEST_SKIP() << kSystemOllama << " exists on this machine";
  const nlohmann::json j = ParseOrFail(Shimmy(store_, "discover --json"));
  std::vector<std::string> places;
  for (const auto& p : j["places"]) {
    places.push_back(p["status"].get<std::string>() + " " + p["label"].get<std::string>() + " " +
                     p["path"].get<std::string>() + " " + std::to_string(p["models"].get<int>()));
  }
  EXPECT_EQ(places,
            (std::vector<std::string>{
                "found SHIMMY_MODEL_PATHS $ROOT/custom 3",
                "missing SHIMMY_MODEL_PATHS $ROOT/absent 0",
                "missing ./models $ROOT/work/models 0",
                "found ~/models $ROOT/home/models 4",
                "missing ~/.local/share/shimmy/models $ROOT/home/.local/share/shimmy/models 0",
                "found ~/.cache/huggingface/hub $ROOT/home/.cache/huggingface/hub 2",
                "found ~/.ollama/models $ROOT/home/.ollama/models 2",
                "missing /usr/share/ollama/.ollama/models /usr/share/ollama/.ollama/models 0",
                "found ~/.lmstudio/models $ROOT/home/.lmstudio/models 1",
                "missing ~/.cache/lm-studio/models $ROOT/home/.cache/lm-studio/models 0",
            }));
  std::vector<std::string> problems;
  for (const auto& p : j["problems"]) {
    problems.push_back(p["path"].get<std::string>() + ": " + p["message"].get<std::string>());
  }
  std::vector<std::string> expected;
  if (::geteuid() != 0) {
    expected.push_back("$ROOT/home/models/locked: cannot read folder: Permission denied");
  }
  for (const char* p : {
           "$ROOT/home/models/loop: symlink loop, not followed",
           "$ROOT/home/.ollama/models/manifests/registry.ollama.ai/library/gone/latest: model blob "
           "missing: $ROOT/home/.ollama/models/blobs/sha256-"
           "9999999999999999999999999999999999999999999999999999999999999999",
           "$ROOT/home/models/broken.gguf: broken: metadata count 19 exceeds the bytes left in "
           "the file (at byte offset 24)",
           "$ROOT/home/models/readme.gguf: not a GGUF file",
           "$ROOT/home/models/vocab-only.gguf: vocabulary only (no tensors)",
       }) {
    expected.push_back(p);
  }
  EXPECT_EQ(problems, expected);
  if (::geteuid() == 0) {
    std::printf(
        "note: running as root, so the chmod-000 folder is readable; its problem "
        "report is not checked\n");
  }
  EXPECT_EQ(j["models"], nlohmann::json::parse(ExpectedList()));
}

TEST_F(StoreTest, ModelDirsFlagReplacesTheEnvironment) {
  const nlohmann::json j = ParseOrFail(
      Shimmy(store_, "discover --json --model-dirs '" + store_.root.string() + "/custom'"));
  EXPECT_EQ(j["places"][0]["label"], "--model-dirs");
  EXPECT_EQ(j["places"][1]["label"], "./models");
  EXPECT_EQ(j["models"][0]["name"], "tiny-random-llama:q4_k_m");
  EXPECT_EQ(j["models"][0]["source"], "dir");
}

Environment StoreEnvironment(const fake::Store& s) {
  Environment env;
  env.home = s.home.string();
  env.cwd = s.work.string();
  env.vars["HOME"] = env.home;
  env.vars["SHIMMY_MODEL_PATHS"] = s.custom.string();
  env.system_ollama_dirs.clear();
  return env;
}

TEST_F(StoreTest, LibraryRegistryResolvesNames) {
  FactCache cache;
  DiscoveryResult r = Discover(StoreEnvironment(store_), {}, cache);
  ASSERT_EQ(r.models.size(), 12u);
  const ModelEntry& tiny = r.models[9];
  EXPECT_EQ(tiny.name, "tiny:latest");
  EXPECT_EQ(tiny.ollama.system, "You are tiny.");
  EXPECT_EQ(tiny.ollama.params_json, R"({"stop":["<|end|>"],"temperature":0.7})");
  EXPECT_EQ(r.models[5].shard_paths.size(), 3u);

  Registry reg(std::move(r.models));
  auto name = [&](std::string_view q) {
    auto e = reg.Resolve(q);
    return e ? (*e)->name : e.error().message();
  };
  EXPECT_EQ(name("tiny"), "tiny:latest");
  EXPECT_EQ(name("someone/tiny"), "someone/tiny:q4");
  EXPECT_EQ(name("Stories"), "stories260k");
  EXPECT_EQ(name("tiny-random-llama:q8"), "tiny-random-llama:q8_0");
  EXPECT_EQ(name("tiny-random-llama"),
            "'tiny-random-llama' matches several models: tiny-random-llama:q4_k_m, "
            "tiny-random-llama-lora:f32, tiny-random-llama-2:q4_k_m, tiny-random-llama:q8_0");
  EXPECT_FALSE(reg.Resolve((store_.home / "models/stories260K.gguf").string()).ok());

  // A second scan with the same cache opens no file.
  const size_t misses = cache.n_misses();
  Discover(StoreEnvironment(store_), {}, cache);
  EXPECT_EQ(cache.n_misses(), misses);
}

TEST_F(StoreTest, ConfiguredFolderThatIsAStoreIsScannedAsOne) {
  Environment env = StoreEnvironment(store_);
  env.vars["SHIMMY_MODEL_PATHS"] = (store_.home / ".cache/huggingface/hub").string() + ";" +
                                   (store_.home / ".ollama/models").string();
  FactCache cache;
  const DiscoveryResult r = Discover(env, {}, cache);
  std::vector<std::string> names;
  for (const auto& m : r.models) names.push_back(m.name + " " + std::string(SourceName(m.source)));
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 4),
            (std::vector<std::string>{"tiny-qwen3:q4_k_m env", "tiny-random-llama:q4_k_m env",
                                      "tiny:latest env", "someone/tiny:q4 env"}));
  EXPECT_EQ(r.places[3].status, PlaceStatus::kFound);
  EXPECT_EQ(r.places[6].status, PlaceStatus::kDuplicate);
  EXPECT_EQ(r.places[6].detail, "same as SHIMMY_MODEL_PATHS");
}

TEST(Discovery, PlacesFollowTheEnvironment) {
  Environment env;
  env.home = "/h";
  env.cwd = "/w";
  env.vars = {{"SHIMMY_MODEL_PATHS", "a; /b/ ;"},
              {"SHIMMY_BASE_GGUF", "~/base/m.gguf"},
              {"SHIMMY_LORA_GGUF", "/l/x.gguf"},
              {"HF_HOME", "/hf"},
              {"OLLAMA_MODELS", "/o"}};
  std::vector<std::string> got;
  for (const Place& p : PlanPlaces(env, {})) {
    got.push_back(p.label + " " + p.path + " " + std::string(SourceName(p.source)));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "SHIMMY_MODEL_PATHS /w/a env", "SHIMMY_MODEL_PATHS /b env",
                     "SHIMMY_BASE_GGUF /h/base env", "SHIMMY_LORA_GGUF /l/x.gguf env",
                     "./models /w/models dir", "~/models /h/models dir",
                     "~/.local/share/shimmy/models /h/.local/share/shimmy/models dir",
                     "HF_HOME /hf/hub hf", "OLLAMA_MODELS /o ollama",
                     "~/.ollama/models /h/.ollama/models ollama",
                     "/usr/share/ollama/.ollama/models /usr/share/ollama/.ollama/models ollama",
                     "~/.lmstudio/models /h/.lmstudio/models lmstudio",
                     "~/.cache/lm-studio/models /h/.cache/lm-studio/models lmstudio"}));
  env.vars["HF_HUB_CACHE"] = "/hub";
  env.home.clear();
  const auto places = PlanPlaces(env, {"/x;/y"});
  EXPECT_EQ(places[0].label, "--model-dirs");
  EXPECT_EQ(places[1].path, "/y");
  EXPECT_EQ(places[5].label, "HF_HUB_CACHE");
  EXPECT_EQ(CacheFilePath(env), "");
}

// SHIMMY_LORA_GGUF pairs with SHIMMY_BASE_GGUF whatever its metadata says.
TEST(Discovery, EnvironmentLoraPairsWithEnvironmentBase) {
  const fs::path root = testing::TempDir("discovery-env-lora");
  fs::create_directories(root / "base");
  fs::create_directories(root / "loras");
  fs::create_directories(root / "other");
  fake::WriteLlm((root / "base/mine-Q8_0.gguf").string(), "llama", "mine");
  fake::WriteLlm((root / "other/theirs-Q8_0.gguf").string(), "llama", "theirs");
  fake::WriteLora((root / "loras/style.gguf").string(), "llama", "theirs");
  Environment env;
  env.cwd = root.string();
  env.system_ollama_dirs.clear();
  env.vars = {{"SHIMMY_BASE_GGUF", (root / "base/mine-Q8_0.gguf").string()},
              {"SHIMMY_LORA_GGUF", (root / "loras/style.gguf").string()},
              {"SHIMMY_MODEL_PATHS", (root / "other").string()}};
  FactCache cache;
  const DiscoveryResult r = Discover(env, {}, cache);
  ASSERT_EQ(r.models.size(), 3u);
  EXPECT_EQ(r.models[0].name, "theirs:q8_0");
  EXPECT_TRUE(r.models[0].loras.empty());
  EXPECT_EQ(r.models[1].name, "mine:q8_0");
  EXPECT_EQ(r.models[1].loras, std::vector<std::string>{(root / "loras/style.gguf").string()});
  EXPECT_EQ(r.models[2].name, "style");
  EXPECT_EQ(r.models[2].base, "mine:q8_0");
  fs::remove_all(root);
}

}  // namespace
}  // namespace shimmy::discovery
