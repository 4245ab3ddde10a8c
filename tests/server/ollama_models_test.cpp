// The Ollama dialect's model listings: /api/tags and /api/ps entries,
// digests, parameter sizes, and /api/show's answer from a fixture's GGUF
// metadata. Pure functions; no model is loaded.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "common/fixtures.h"
#include "server/api_ollama.h"

namespace shimmy::server::ollama {
namespace {

OJson J(const char* text) { return OJson::parse(text); }

Clock::time_point At(int64_t seconds) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(seconds)));
}

TEST(OllamaModels, ParameterSize) {
  EXPECT_EQ(ParameterSize(260'000), "260K");
  EXPECT_EQ(ParameterSize(292'672), "293K");
  EXPECT_EQ(ParameterSize(1'200'000'000), "1.2B");
  EXPECT_EQ(ParameterSize(7'000'000'000), "7B");
  EXPECT_EQ(ParameterSize(8'030'261'248), "8.0B");
  EXPECT_EQ(ParameterSize(494'032'768), "494.03M");
  EXPECT_EQ(ParameterSize(999), "999");
}

TEST(OllamaModels, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the padding spills into a second block.
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

discovery::ModelEntry FileEntry(const std::string& path, discovery::ModelKind kind) {
  discovery::ModelEntry e;
  e.name = "tiny:latest";
  e.path = path;
  e.size_bytes = std::filesystem::exists(path) ? std::filesystem::file_size(path) : 0;
  e.facts.kind = kind;
  e.facts.arch = "llama";
  e.facts.n_params = 292'672;
  e.facts.quant = "F32";
  return e;
}

TEST(OllamaModels, DigestsAreBlobNamesOrStableIds) {
  const std::string hex(64, 'a');
  auto blob = FileEntry("/store/blobs/sha256-" + hex, discovery::ModelKind::kLlm);
  blob.source = discovery::Source::kOllama;
  EXPECT_EQ(ModelDigest(blob), hex);

  const auto dir = shimmy::testing::TempDir("ollama-digest");
  const std::string path = (dir / "m.gguf").string();
  std::ofstream(path) << "GGUF";
  auto entry = FileEntry(path, discovery::ModelKind::kLlm);
  const std::string first = ModelDigest(entry);
  EXPECT_TRUE(std::regex_match(first, std::regex("[0-9a-f]{64}")));
  EXPECT_EQ(ModelDigest(entry), first);  // stable while the file is unchanged
  std::ofstream(path, std::ios::app) << "more";
  entry.size_bytes = std::filesystem::file_size(path);
  EXPECT_NE(ModelDigest(entry), first);
  auto other = entry;
  other.path = (dir / "other.gguf").string();
  EXPECT_NE(ModelDigest(other), ModelDigest(entry));
  std::filesystem::remove_all(dir);
}

TEST(OllamaModels, TagsAndPsEntries) {
  const auto dir = shimmy::testing::TempDir("ollama-tags");
  const std::string path = (dir / "m.gguf").string();
  std::ofstream(path) << "GGUF";
  const auto llm = FileEntry(path, discovery::ModelKind::kLlm);
  const OJson t = TagsEntry(llm);
  EXPECT_EQ(t["name"], "tiny:latest");
  EXPECT_EQ(t["model"], "tiny:latest");
  EXPECT_EQ(t["size"], 4);
  EXPECT_EQ(t["digest"], ModelDigest(llm));
  EXPECT_TRUE(std::regex_match(t["modified_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));
  EXPECT_EQ(t["details"], J(R"({"parent_model":"","format":"gguf","family":"llama",
      "families":["llama"],"parameter_size":"293K","quantization_level":"F32"})"));

  auto embed = llm;
  embed.name = "embed";
  embed.facts.kind = discovery::ModelKind::kEmbedding;
  auto proj = llm;
  proj.name = "proj";
  proj.facts.kind = discovery::ModelKind::kMmproj;
  const discovery::Registry registry({llm, embed, proj});
  const OJson tags = TagsJson(registry);
  ASSERT_EQ(tags["models"].size(), 2u);  // projectors are not models to run
  EXPECT_EQ(tags["models"][1]["name"], "embed");

  runtime::ResidentInfo info;
  info.name = "tiny:latest";
  info.size_bytes = 1234;
  info.expires_at = At(2'000'000'000);
  const OJson ps = PsEntry(info, &llm, At(1'900'000'000));
  EXPECT_EQ(ps["expires_at"], Rfc3339(At(2'000'000'000)));
  EXPECT_EQ(ps["size"], 1234);
  EXPECT_EQ(ps["size_vram"], 0);
  EXPECT_EQ(ps["details"]["family"], "llama");
  info.forever = true;
  EXPECT_TRUE(PsEntry(info, nullptr, At(0))["expires_at"].get<std::string>().starts_with("9999"));
  std::filesystem::remove_all(dir);
}

TEST(OllamaModels, CapabilitiesAndParameters) {
  auto e = FileEntry("/x", discovery::ModelKind::kLlm);
  EXPECT_EQ(Capabilities(e, ""), J(R"(["completion"])"));
  EXPECT_EQ(Capabilities(e, "{% if tools %}...{% endif %}<think>"),
            J(R"(["completion","tools","thinking"])"));
  EXPECT_EQ(Capabilities(e, "{{ if .Tools }}{{ end }}"), J(R"(["completion","tools"])"));
  e.facts.kind = discovery::ModelKind::kEmbedding;
  EXPECT_EQ(Capabilities(e, ""), J(R"(["embedding"])"));
  EXPECT_EQ(ParametersText(R"({"stop":["<a>","<b>"],"temperature":0.7})"),
            std::string("stop                           \"<a>\"\n") +
                "stop                           \"<b>\"\n" + "temperature                    0.7");
  EXPECT_EQ(ParametersText(""), "");
}

TEST(OllamaModels, ShowFromAFixture) {
  SHIMMY_REQUIRE_FIXTURES();
  const std::string path =
      (shimmy::testing::FixturesDir() / "models" / "stories260K.gguf").string();
  auto file = gguf::GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.error().message();
  auto entry = FileEntry(path, discovery::ModelKind::kLlm);
  entry.ollama.params_json = R"({"temperature":0.7})";
  entry.ollama.system = "Tell stories.";
  const OJson show = ShowJson(entry, *file, /*verbose=*/false);
  const OJson& info = show["model_info"];
  EXPECT_EQ(info["general.architecture"], "llama");
  EXPECT_EQ(info["llama.embedding_length"], 64);
  EXPECT_EQ(info["llama.block_count"], 5);
  EXPECT_EQ(info["general.parameter_count"], 292'672);   // from the facts when the file lacks it
  EXPECT_TRUE(info["tokenizer.ggml.tokens"].is_null());  // 512 tokens: too long to inline
  std::vector<std::string> keys;
  for (auto it = info.begin(); it != info.end(); ++it) keys.push_back(it.key());
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  // F32 values read as the float they are, not its double expansion.
  const std::string eps = Dump(info["llama.attention.layer_norm_rms_epsilon"]);
  EXPECT_LE(eps.size(), 6u) << eps;

  const OJson verbose = ShowJson(entry, *file, /*verbose=*/true)["model_info"];
  EXPECT_EQ(verbose["tokenizer.ggml.tokens"].size(), 512u);

  EXPECT_EQ(show["capabilities"], J(R"(["completion"])"));
  EXPECT_EQ(show["system"], "Tell stories.");
  EXPECT_EQ(show["parameters"], "temperature                    0.7");
  EXPECT_NE(show["modelfile"].get<std::string>().find("FROM " + path), std::string::npos);
  EXPECT_NE(show["modelfile"].get<std::string>().find("PARAMETER temperature 0.7"),
            std::string::npos);
  EXPECT_EQ(show["details"]["family"], "llama");
  EXPECT_TRUE(show.contains("modified_at"));
}

}  // namespace
}  // namespace shimmy::server::ollama
