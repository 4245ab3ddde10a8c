// Model discovery over a generated tree of 10,000 files in 100 folders, 100
// of them GGUF models with realistic headers (a 32,000-token vocabulary,
// 200 tensors); the rest are the READMEs, JSON and safetensors files that
// sit beside models. Goal (issue 5): under 1 s cold, under 50 ms warm.
//
//   cold:       an empty fact cache: every GGUF header is parsed
//   warm:       the same in-process cache: only readdir + stat
//   warm_disk:  a fresh process's view: the cache loaded from its JSON file
// "Cold" means shimmy's cache is empty; the OS page cache is warm (dropping
// it would disturb the rest of the machine).
//
//   cmake --build build --target discovery_bench && ./build/bench/discovery_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "discovery/discover.h"
#include "gguf/gguf_writer.h"

namespace shimmy::discovery {
namespace {

namespace fs = std::filesystem;

constexpr int kFolders = 100;
constexpr int kFilesPerFolder = 100;  // one of them a model

void WriteModel(const fs::path& path, int seed) {
  gguf::GgufWriter w;
  w.Set("general.architecture", gguf::Value::String("llama"));
  w.Set("general.name", gguf::Value::String("model-" + std::to_string(seed)));
  w.Set("general.file_type", gguf::Value::U32(15));
  w.Set("llama.context_length", gguf::Value::U32(8192));
  std::vector<std::string> vocab;
  for (int i = 0; i < 32000; ++i) vocab.push_back("tok" + std::to_string(i));
  w.Set("tokenizer.ggml.tokens", gguf::Value::StringArray(std::move(vocab)));
  const std::vector<std::byte> data(32 * 4);
  for (int t = 0; t < 200; ++t) {
    w.AddTensor("blk." + std::to_string(t) + ".weight", DType::kF32, {32}, data);
  }
  if (auto st = w.Write(path.string()); !st) std::abort();
}

// Builds the tree once per process; returns its root.
const fs::path& Tree() {
  static const fs::path root = [] {
    const fs::path r =
        fs::temp_directory_path() / ("shimmy-discovery-bench-" + std::to_string(::getpid()));
    fs::remove_all(r);
    for (int f = 0; f < kFolders; ++f) {
      const fs::path dir = r / ("org" + std::to_string(f / 10)) / ("repo" + std::to_string(f));
      fs::create_directories(dir);
      WriteModel(dir / ("repo" + std::to_string(f) + "-Q4_K_M.gguf"), f);
      for (int i = 1; i < kFilesPerFolder; ++i) {
        static const char* kExt[] = {".txt", ".json", ".safetensors", ".md", ".py"};
        std::ofstream(dir / ("file" + std::to_string(i) + kExt[i % 5])) << "x";
      }
    }
    return r;
  }();
  return root;
}

Environment TreeEnvironment() {
  Environment env;
  env.cwd = Tree().string();
  env.vars["SHIMMY_MODEL_PATHS"] = Tree().string();
  env.system_ollama_dirs.clear();
  return env;
}

void Check(benchmark::State& state, const DiscoveryResult& r) {
  if (r.models.size() != kFolders) state.SkipWithError("wrong model count");
}

void BM_ScanCold(benchmark::State& state) {
  const Environment env = TreeEnvironment();
  for (auto _ : state) {
    FactCache cache;
    Check(state, Discover(env, {}, cache));
  }
}
BENCHMARK(BM_ScanCold)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ScanWarm(benchmark::State& state) {
  const Environment env = TreeEnvironment();
  FactCache cache;
  Check(state, Discover(env, {}, cache));
  for (auto _ : state) Check(state, Discover(env, {}, cache));
}
BENCHMARK(BM_ScanWarm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ScanWarmFromDisk(benchmark::State& state) {
  const Environment env = TreeEnvironment();
  const std::string file = (Tree().parent_path() / (Tree().filename().string() + ".json")).string();
  {
    FactCache cache;
    Check(state, Discover(env, {}, cache));
    if (!cache.Save(file)) std::abort();
  }
  for (auto _ : state) {
    FactCache cache;
    cache.Load(file);
    Check(state, Discover(env, {}, cache));
  }
  fs::remove(file);
}
BENCHMARK(BM_ScanWarmFromDisk)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace shimmy::discovery

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(shimmy::discovery::Tree());
  return 0;
}
