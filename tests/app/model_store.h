// A user's model store for command-line tests: a temporary HOME and
// working folder, and one plain model folder (SHIMMY_MODEL_PATHS) holding
//   stories260K.gguf                  -> stories260k
//   tiny-random-llama-Q4_K_M.gguf     -> tiny-random-llama:q4_k_m
//   hollow.gguf    a llama header without the weights (listed, cannot load)
//   tiny-embed.gguf  an embedding model (listed, not a language model)
//   broken.gguf    not GGUF at all (skipped by discovery)
// Needs the fixture models (skips without them).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/fixtures.h"
#include "common/run_command.h"
#include "gguf/gguf_writer.h"

namespace shimmy {

namespace fs = std::filesystem;
using testing::CommandOutput;
using testing::ShellQuote;

inline constexpr const char* kNoStderr = "2>/dev/null";

inline void WriteOrFail(const gguf::GgufWriter& w, const fs::path& path) {
  auto st = w.Write(path.string());
  ASSERT_TRUE(st.ok()) << st.error().message();
}

// A header that discovery calls a language model, but whose tensors are
// not a runnable llama: listed, yet it cannot load.
inline void WriteHollowLlm(const fs::path& path) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("llama"));
  w.Set("general.name", gguf::Value::String("hollow"));
  w.Set("llama.context_length", gguf::Value::U32(256));
  w.AddTensor("token_embd.weight", DType::kF32, {8, 16}, std::vector<std::byte>(8 * 16 * 4));
  WriteOrFail(w, path);
}

inline void WriteEmbedder(const fs::path& path) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("bert"));
  w.Set("bert.context_length", gguf::Value::U32(128));
  w.Set("bert.pooling_type", gguf::Value::U32(1));
  w.AddTensor("token_embd.weight", DType::kF32, {8, 32}, std::vector<std::byte>(8 * 32 * 4));
  WriteOrFail(w, path);
}

class ModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHIMMY_REQUIRE_FIXTURES();
    root_ = testing::TempDir("model-names");
    for (const char* sub : {"home", "work", "models"}) fs::create_directories(root_ / sub);
    const fs::path fixtures = testing::FixturesDir() / "models";
    for (const char* file : {"stories260K.gguf", "tiny-random-llama-Q4_K_M.gguf"}) {
      fs::copy_file(fixtures / file, root_ / "models" / file);
    }
    std::ofstream(root_ / "models" / "broken.gguf") << "GGUF but not really";
    WriteHollowLlm(root_ / "models" / "hollow.gguf");
    WriteEmbedder(root_ / "models" / "tiny-embed.gguf");
  }
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }

  // shimmy ARGS in an empty working folder with only this store's
  // environment; `stderr_to` is the shell redirection of stderr.
  CommandOutput Shimmy(const std::string& args, const std::string& stderr_to = "2>&1",
                       const std::string& input = "") const {
    return testing::RunCommand(
        "cd " + ShellQuote((root_ / "work").string()) +
            " && env -i PATH=/usr/bin:/bin HOME=" + ShellQuote((root_ / "home").string()) +
            " SHIMMY_MODEL_PATHS=" + ShellQuote((root_ / "models").string()) + " " + SHIMMY_BINARY +
            " " + args + " " + stderr_to,
        input);
  }
  std::string Path(const std::string& file) const {
    return ShellQuote((root_ / "models" / file).string());
  }

  fs::path root_;
};

}  // namespace shimmy
