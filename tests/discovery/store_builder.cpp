#include "store_builder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "common/fixtures.h"
#include "test_models.h"

namespace shimmy::discovery::fake {
namespace {

namespace fs = std::filesystem;

void CopyFixture(const std::string& name, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(shimmy::testing::FixturesDir() / "models" / name, to);
}

void WriteText(const fs::path& to, const std::string& text) {
  fs::create_directories(to.parent_path());
  std::ofstream(to, std::ios::binary) << text;
}

std::string Digest(char c) { return std::string(64, c); }

void HfCache(const fs::path& hub) {
  // Two revisions of one file; refs/main names the second, although the
  // first folder is newer: refs/main wins.
  const fs::path llama = hub / "models--someorg--Tiny-Random-Llama-GGUF";
  CopyFixture("tiny-random-llama-Q4_0.gguf", llama / "blobs" / Digest('1'));
  CopyFixture("tiny-random-llama-Q4_K_M.gguf", llama / "blobs" / Digest('2'));
  WriteText(llama / "refs/main", "rev2222\n");
  for (const auto& [rev, blob] : {std::pair{"rev1111", '1'}, std::pair{"rev2222", '2'}}) {
    fs::create_directories(llama / "snapshots" / rev);
    fs::create_symlink(fs::path("../../blobs") / Digest(blob),
                       llama / "snapshots" / rev / "tiny-random-llama-Q4_K_M.gguf");
  }
  fs::last_write_time(llama / "snapshots/rev1111",
                      fs::file_time_type::clock::now() + std::chrono::hours(1));

  // A generic file name takes the repo's name.
  const fs::path qwen = hub / "models--acme--Tiny-Qwen3-GGUF";
  CopyFixture("tiny-random-qwen3-Q4_K_M.gguf", qwen / "blobs" / Digest('3'));
  WriteText(qwen / "refs/main", "rev3333");
  fs::create_directories(qwen / "snapshots/rev3333");
  fs::create_symlink(fs::path("../../blobs") / Digest('3'),
                     qwen / "snapshots/rev3333/ggml-model-Q4_K_M.gguf");

  fs::create_directories(hub / "datasets--someorg--data/snapshots/r");
  WriteText(hub / "datasets--someorg--data/snapshots/r/data-q4_0.gguf", "not looked at");
}

void OllamaStore(const fs::path& store) {
  const fs::path blobs = store / "blobs";
  CopyFixture("tiny-random-phi3-Q4_K_M.gguf", blobs / ("sha256-" + Digest('a')));
  WriteText(blobs / ("sha256-" + Digest('b')), "{{ .System }}\n{{ .Prompt }}");
  WriteText(blobs / ("sha256-" + Digest('c')), R"({"stop":["<|end|>"],"temperature":0.7})");
  WriteText(blobs / ("sha256-" + Digest('d')), "You are tiny.");
  CopyFixture("tiny-random-llama-Q4_1.gguf", blobs / ("sha256-" + Digest('e')));
  auto layer = [](const std::string& kind, char digest) {
    return R"({"mediaType":"application/vnd.ollama.image.)" + kind + R"(","digest":"sha256:)" +
           Digest(digest) + R"(","size":1})";
  };
  const std::string config =
      R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:)" +
      Digest('f') + R"(","size":1})";
  const fs::path manifests = store / "manifests/registry.ollama.ai";
  WriteText(manifests / "library/tiny/latest",
            R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + layer("model", 'a') + "," +
                layer("template", 'b') + "," + layer("params", 'c') + "," + layer("system", 'd') +
                "]}");
  WriteText(manifests / "someone/tiny/q4",
            R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + layer("model", 'e') + "]}");
  WriteText(manifests / "library/gone/latest",
            R"({"schemaVersion":2,)" + config + R"(,"layers":[)" + layer("model", '9') + "]}");
}

}  // namespace

Store BuildStore(const std::string& name) {
  Store s;
  s.root = shimmy::testing::TempDir(name);
  s.home = s.root / "home";
  s.work = s.root / "work";
  s.custom = s.root / "custom";
  fs::create_directories(s.work);

  // SHIMMY_MODEL_PATHS: a model, and a vision model beside its projector.
  CopyFixture("tiny-random-llama-Q4_K_M.gguf", s.custom / "tiny-random-llama-Q4_K_M.gguf");
  CopyFixture("tiny-random-qwen2-Q4_K_M.gguf", s.custom / "vision/tiny-random-qwen2-Q4_K_M.gguf");
  WriteMmproj((s.custom / "vision/mmproj-tiny-random-qwen2-f16.gguf").string());

  // ~/models: everything else a folder can hold.
  const fs::path models = s.home / "models";
  CopyFixture("stories260K.gguf", models / "stories260K.gguf");
  fs::create_directories(models / "adapters");
  WriteLora((models / "adapters/tiny-random-llama-lora-F32.gguf").string(), "llama",
            "tiny-random-llama");
  fs::create_directories(models / "embed");
  WriteEmbedding((models / "embed/tiny-embed-F16.gguf").string());
  fs::create_directories(models / "split");
  WriteSplitLlm((models / "split/tiny-split").string());
  WriteVocabOnly((models / "vocab-only.gguf").string());
  WriteText(models / "readme.gguf", "this is not a model\n");
  {
    std::ifstream in(shimmy::testing::FixturesDir() / "models/stories260K.gguf", std::ios::binary);
    std::string head(200, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    WriteText(models / "broken.gguf", head);
  }
  fs::create_directory_symlink(".", models / "loop");
  fs::create_directories(models / ".git");
  WriteLlm((models / ".git/hidden-Q4_0.gguf").string());
  fs::create_directories(models / "locked");
  fs::permissions(models / "locked", fs::perms::none);

  HfCache(s.home / ".cache/huggingface/hub");
  OllamaStore(s.home / ".ollama/models");

  const fs::path lms = s.home / ".lmstudio/models";
  CopyFixture("tiny-random-llama-Q8_0.gguf",
              lms / "lmstudio-community/Tiny-Random-Llama-GGUF/tiny-random-llama-Q8_0.gguf");
  // The same file as the custom folder's: listed once, where first found.
  fs::create_directories(lms / "me/dup");
  fs::create_symlink(s.custom / "tiny-random-llama-Q4_K_M.gguf",
                     lms / "me/dup/tiny-random-llama-Q4_K_M.gguf");
  return s;
}

void RemoveStore(const Store& store) {
  std::error_code ec;
  fs::permissions(store.home / "models/locked", fs::perms::owner_all, ec);
  fs::remove_all(store.root, ec);
}

}  // namespace shimmy::discovery::fake
