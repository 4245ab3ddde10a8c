// Tokenizer throughput (MB/s of text) per vocabulary family.
//   ./build/bench/tokenizer_bench [--benchmark_filter=qwen2]
// Vocabularies come from the fixtures folder ($SHIMMY_FIXTURES or
// ../shared/fixtures); the text is a fixed mix of English prose, code,
// numbers and some non-Latin scripts, repeated to 1 MiB.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace {

constexpr const char* kSample =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
    "park with her friends, and every afternoon she would run to the old oak tree by the pond. "
    "One day, she saw a big, red ball stuck in the branches; she wanted to play with it, but "
    "it was too high.\n\n"
    "def fibonacci(n: int) -> int:\n    if n < 2:\n        return n\n"
    "    return fibonacci(n - 1) + fibonacci(n - 2)  # 1, 1, 2, 3, 5, 8, 13\n\n"
    "The invoice (No. 2024-11-25) totals $1,234.56; payment is due within 30 days. "
    "Contact: support@example.com or +1 (555) 010-9999.\n"
    "Zürich, São Paulo and Kraków are cities; Привет, как дела? 日本語のテキストも少し。 "
    "مرحبا بالعالم. 🦙 Emoji and symbols: © ™ → ∑ ≠.\n";

std::string MakeText(size_t bytes) {
  std::string text;
  while (text.size() < bytes) text += kSample;
  return text;
}

std::filesystem::path FixturesDir() {
  const char* env = std::getenv("SHIMMY_FIXTURES");
  return (env != nullptr && *env != '\0') ? env : SHIMMY_DEFAULT_FIXTURES;
}

void BM_Encode(benchmark::State& state, std::shared_ptr<shimmy::Tokenizer> tok) {
  const std::string text = MakeText(1 << 20);
  size_t n_tokens = 0;
  for (auto _ : state) {
    auto ids = tok->Encode(text, {.add_special = false});
    n_tokens = ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n_tokens);
}

void BM_Decode(benchmark::State& state, std::shared_ptr<shimmy::Tokenizer> tok) {
  const std::string text = MakeText(1 << 20);
  const auto ids = tok->Encode(text, {.add_special = false});
  for (auto _ : state) {
    std::string out = tok->Decode(ids);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const std::vector<std::string> vocabs = {"llama-spm", "llama-bpe", "qwen2", "gpt-2",
                                           "bert-bge", "nomic-bert-moe"};
  for (const std::string& name : vocabs) {
    const auto path = FixturesDir() / "tokenizer" / ("ggml-vocab-" + name + ".gguf");
    auto file = shimmy::gguf::GgufFile::Open(path.string());
    if (!file) {
      std::fprintf(stderr, "skipping %s: %s\n", name.c_str(), file.error().message().c_str());
      continue;
    }
    auto tok = shimmy::Tokenizer::FromGguf(*file);
    if (!tok) {
      std::fprintf(stderr, "skipping %s: %s\n", name.c_str(), tok.error().message().c_str());
      continue;
    }
    auto shared = std::make_shared<shimmy::Tokenizer>(std::move(tok).value());
    benchmark::RegisterBenchmark(("Encode/" + name).c_str(), BM_Encode, shared)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Decode/" + name).c_str(), BM_Decode, shared)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
