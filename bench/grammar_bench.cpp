// Cost of grammar-constrained sampling per generated token: the allowed-token
// mask at a few positions of a JSON output, for a 151k (qwen2) and a 32k
// (llama-spm) vocabulary.
//   ./build/bench/grammar_bench [--benchmark_filter=qwen2]
// Mask/<vocab>/<grammar>/<position>/<case>:
//   cold   - a fresh matcher: the automaton's states and transitions for the
//            prefix and the walk are built from nothing (a request's first
//            visit of a position);
//   walk   - automaton warm, mask not cached: one trie walk (a position seen
//            before by this matcher's automaton but not masked yet);
//   cached - the mask of a state already masked (inside long strings).
// Apply/<vocab>: setting the disallowed logits of one row to -inf.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "sampling/grammar_matcher.h"
#include "sampling/json_schema.h"
#include "tokenizer/tokenizer.h"

namespace {

using shimmy::Grammar;
using shimmy::GrammarLimits;
using shimmy::GrammarMatcher;
using shimmy::TokenTrie;

constexpr const char* kSchema = R"({"type": "object", "properties": {
    "name": {"type": "string", "maxLength": 40},
    "age": {"type": "integer", "minimum": 0},
    "color": {"enum": ["red", "green", "blue"]},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 8}},
  "required": ["name", "age", "color"], "additionalProperties": false})";

struct Position {
  const char* name;
  const char* prefix;
};
const Position kPositions[] = {
    {"start", ""},
    {"string", "{\"name\": \"Ada Lov"},
    {"number", "{\"name\": \"Ada\", \"age\": 12"},
};

std::filesystem::path FixturesDir() {
  const char* env = std::getenv("SHIMMY_FIXTURES");
  return (env != nullptr && *env != '\0') ? env : SHIMMY_DEFAULT_FIXTURES;
}

// The same pieces Instance::token_trie() builds.
std::shared_ptr<const TokenTrie> VocabTrie(const shimmy::Tokenizer& tok) {
  const shimmy::Vocab& v = tok.vocab();
  std::vector<std::string> pieces(v.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto id = static_cast<shimmy::TokenId>(i);
    if (!v.IsControlLike(id) && !v.IsEog(id)) pieces[i] = tok.TokenToPiece(id, false);
  }
  return TokenTrie::Build(std::move(pieces));
}

GrammarMatcher At(const std::shared_ptr<const Grammar>& g, const char* prefix,
                  GrammarLimits limits = {}) {
  auto m = GrammarMatcher::Create(g, limits);
  if (!m || !m->Accept(prefix)) std::abort();
  return std::move(m).value();
}

void BM_MaskCold(benchmark::State& state, std::shared_ptr<const Grammar> g,
                 std::shared_ptr<const TokenTrie> trie, const char* prefix) {
  size_t allowed = 0;
  for (auto _ : state) {
    GrammarMatcher m = At(g, prefix);
    auto mask = m.AllowedTokens(*trie);
    allowed = (*mask)->count();
  }
  state.counters["allowed"] = static_cast<double>(allowed);
}

void BM_MaskWalk(benchmark::State& state, std::shared_ptr<const Grammar> g,
                 std::shared_ptr<const TokenTrie> trie, const char* prefix) {
  GrammarLimits no_cache;
  no_cache.max_mask_cache_bytes = 0;
  GrammarMatcher m = At(g, prefix, no_cache);
  (void)m.AllowedTokens(*trie);  // warms the automaton
  for (auto _ : state) benchmark::DoNotOptimize(m.AllowedTokens(*trie).ok());
  state.counters["trie_nodes"] = static_cast<double>(trie->n_nodes());
}

void BM_MaskCached(benchmark::State& state, std::shared_ptr<const Grammar> g,
                   std::shared_ptr<const TokenTrie> trie, const char* prefix) {
  GrammarMatcher m = At(g, prefix);
  (void)m.AllowedTokens(*trie);
  for (auto _ : state) benchmark::DoNotOptimize(m.AllowedTokens(*trie).ok());
}

void BM_Apply(benchmark::State& state, std::shared_ptr<const Grammar> g,
              std::shared_ptr<const TokenTrie> trie) {
  GrammarMatcher m = At(g, kPositions[1].prefix);
  const shimmy::TokenMask* mask = *m.AllowedTokens(*trie);
  std::vector<float> logits(trie->n_tokens(), 0.5f);
  for (auto _ : state) {
    mask->Apply(logits);
    benchmark::DoNotOptimize(logits.data());
  }
}

// The closing search GrammarConstraint runs on each of the last steps of a
// budget: a warm automaton, a few levels of nesting open inside a string.
void BM_ShortestCompletion(benchmark::State& state, std::shared_ptr<const Grammar> g) {
  GrammarMatcher m = At(g, "{\"a\": [1, {\"b\": [{\"c\": \"xy");
  size_t length = 0;
  for (auto _ : state) {
    auto s = m.ShortestCompletion(96);
    length = (s.ok() && s->has_value()) ? (*s)->size() : 0;
  }
  state.counters["completion_bytes"] = static_cast<double>(length);
}

void BM_TrieBuild(benchmark::State& state, std::shared_ptr<shimmy::Tokenizer> tok) {
  for (auto _ : state) benchmark::DoNotOptimize(VocabTrie(*tok).get());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto json_object = shimmy::JsonObjectGrammar();
  auto schema = shimmy::JsonSchemaGrammar(nlohmann::ordered_json::parse(kSchema));
  if (!json_object || !schema) return 1;
  benchmark::RegisterBenchmark("ShortestCompletion/json_object", BM_ShortestCompletion,
                               *json_object)
      ->Unit(benchmark::kMicrosecond);
  for (const std::string name : {"qwen2", "llama-spm"}) {
    const auto path = FixturesDir() / "tokenizer" / ("ggml-vocab-" + name + ".gguf");
    auto file = shimmy::gguf::GgufFile::Open(path.string());
    if (!file) {
      std::fprintf(stderr, "skipping %s: %s\n", name.c_str(), file.error().message().c_str());
      continue;
    }
    auto tok = shimmy::Tokenizer::FromGguf(*file);
    if (!tok) continue;
    auto shared = std::make_shared<shimmy::Tokenizer>(std::move(tok).value());
    auto trie = VocabTrie(*shared);
    std::fprintf(stderr, "%s: %zu tokens, %zu trie nodes\n", name.c_str(), trie->n_tokens(),
                 trie->n_nodes());
    benchmark::RegisterBenchmark(("TrieBuild/" + name).c_str(), BM_TrieBuild, shared)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Apply/" + name).c_str(), BM_Apply, *schema, trie)
        ->Unit(benchmark::kMicrosecond);
    for (const auto& [gname, g] :
         {std::pair{"json_object", *json_object}, std::pair{"schema", *schema}}) {
      for (const Position& p : kPositions) {
        const std::string base = "Mask/" + name + "/" + gname + "/" + p.name;
        benchmark::RegisterBenchmark((base + "/cold").c_str(), BM_MaskCold, g, trie, p.prefix)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((base + "/walk").c_str(), BM_MaskWalk, g, trie, p.prefix)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark((base + "/cached").c_str(), BM_MaskCached, g, trie, p.prefix)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
