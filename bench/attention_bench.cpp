// Attention's reads of the KV cache (kernels/attention_rows.h) as one
// decode step makes them, per cache type: for each of 16 layers and 8 KV
// heads, 4 query heads score m cached rows (head dim 64), a softmax, then
// the weighted sum of the V rows. Llama 3.2 1B's shape on one thread.
// per_head:1 lays each head's rows side by side, as kv/kv_cache.h does;
// per_head:0 puts a cell's 8 heads side by side (the layout before), where
// a head's rows are 8 heads' width apart.
//
//   cmake --build build --target attention_bench && ./build/bench/attention_bench
//
// The 16 layers' rows at m = 4096 take 256 MiB as F32 (64 MiB as Q8_0),
// far beyond the last-level cache, as in decode where the weights evict
// the cache between layers. Counters: ns per cached position and layer,
// and the cache bytes read per second.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/attention_rows.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "tensor/dtype.h"

namespace shimmy {
namespace {

constexpr int kLayers = 16, kKvHeads = 8, kGroup = 4, kHeadDim = 64;
const DType kTypes[] = {DType::kF32, DType::kF16, DType::kQ8_0};

void BM_DecodeAttention(benchmark::State& state) {
  const DType type = kTypes[state.range(0)];
  const int m = static_cast<int>(state.range(1));
  const bool per_head = state.range(2) != 0;
  const int row_values = kKvHeads * kHeadDim;
  const size_t row_bytes = *RowBytes(type, row_values);
  const size_t head_bytes = row_bytes / kKvHeads;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> values(static_cast<size_t>(row_values));
  // 64-byte aligned, as the cache's page-aligned reservation is.
  std::vector<std::vector<uint8_t>> k_mem(kLayers), v_mem(kLayers);
  std::vector<uint8_t*> k(kLayers), v(kLayers);
  const auto aligned = [](std::vector<uint8_t>& mem, size_t bytes) {
    mem.resize(bytes + 64);
    return mem.data() + (64 - reinterpret_cast<uintptr_t>(mem.data()) % 64) % 64;
  };
  for (int l = 0; l < kLayers; ++l) {
    k[l] = aligned(k_mem[l], row_bytes * m);
    v[l] = aligned(v_mem[l], row_bytes * m);
    for (int c = 0; c < m; ++c) {
      for (float& x : values) x = normal(rng);
      QuantizeActivationRow(type, values.data(), k[l] + c * row_bytes, row_values);
      for (float& x : values) x = normal(rng);
      QuantizeActivationRow(type, values.data(), v[l] + c * row_bytes, row_values);
    }
  }
  std::vector<int> rows(static_cast<size_t>(m));
  for (int j = 0; j < m; ++j) rows[static_cast<size_t>(j)] = j;
  std::vector<float> q(kGroup * kHeadDim), scores(static_cast<size_t>(kGroup) * m),
      out(kGroup * kHeadDim);
  for (float& x : q) x = normal(rng);
  for (auto _ : state) {
    for (int l = 0; l < kLayers; ++l) {
      for (int h = 0; h < kKvHeads; ++h) {
        const size_t off = per_head ? h * head_bytes * m : h * head_bytes;
        const int64_t stride = static_cast<int64_t>(per_head ? head_bytes : row_bytes);
        const CachedRows kr{
            .type = type, .base = k[l] + off, .stride = stride, .rows = rows.data(), .n = m};
        const CachedRows vr{
            .type = type, .base = v[l] + off, .stride = stride, .rows = rows.data(), .n = m};
        DotRows(q.data(), kHeadDim, kGroup, kr, kHeadDim, 0.125f, scores.data());
        for (int i = 0; i < kGroup; ++i) Softmax(scores.data() + static_cast<size_t>(i) * m, m);
        WeightedSumRows(scores.data(), kGroup, vr, kHeadDim, out.data(), kHeadDim);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  const double positions = static_cast<double>(state.iterations()) * kLayers * m;
  state.counters["ns_per_pos_layer"] = benchmark::Counter(
      positions * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["cache_GBps"] = benchmark::Counter(
      positions * 2.0 * row_bytes, benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.SetLabel(std::string(Name(type)));
}

BENCHMARK(BM_DecodeAttention)
    ->ArgsProduct({{0, 1, 2}, {64, 512, 4096}, {0, 1}})
    ->ArgNames({"type", "m", "per_head"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shimmy

BENCHMARK_MAIN();
