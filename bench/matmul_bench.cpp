// Matrix-vector (decode) and matrix-matrix (prefill) throughput at
// Llama-3.2-1B shapes. Decode is memory-bound, so it reports GB/s of weight
// bytes streamed; prefill reports GFLOP/s (2 * rows * cols * tokens).
//   ./build/bench/matmul_bench [--benchmark_filter=Q4_K]
// BM_MatVec's matrices are 2-32 MiB, so on a machine with a large L3 part
// of each one stays in cache between iterations; BM_MatVecStream streams
// 384 MiB and is the one that shows decode's DRAM speed (with `of_read`,
// its share of plain read bandwidth), BM_MatVecKernel the kernel alone.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <random>
#include <vector>

#include "base/huge_page_buffer.h"
#include "kernels/matmul.h"
#include "kernels/stream_read.h"
#include "quant/quant.h"
#include "threading/thread_pool.h"

namespace shimmy {
namespace {

struct Matrix {
  std::vector<std::byte> bytes;
  WeightMatrix view;
};

// Random normal weights quantized to `type`; the first rows are quantized
// and then repeated (quantizing 64 MiB with the reference code is slow, the
// kernels do not care about the values).
const Matrix& GetMatrix(DType type, int64_t n_rows, int64_t n_cols) {
  static std::vector<std::unique_ptr<Matrix>> cache;
  for (const auto& m : cache) {
    if (m->view.type == type && m->view.n_rows == n_rows && m->view.n_cols == n_cols) return *m;
  }
  auto m = std::make_unique<Matrix>();
  if (IsInterleaved(type)) {
    // Repacked as the model does.
    const DType plain_type = PlainTypeOf(type);
    auto repack = plain_type == DType::kQ8_0   ? RepackQ8_0AsX8
                  : plain_type == DType::kQ4_K ? RepackQ4_KAsX8
                                               : RepackQ6_KAsX8;
    const Matrix& plain = GetMatrix(plain_type, n_rows, n_cols);
    m->bytes.resize(plain.bytes.size());
    repack(plain.bytes.data(), m->bytes.data(), n_rows, n_cols);
    m->view = WeightMatrix{type, m->bytes.data(), n_rows, n_cols};
    cache.push_back(std::move(m));
    return *cache.back();
  }
  const size_t row_bytes = *RowBytes(type, n_cols);
  constexpr int64_t kDistinct = 64;
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> row(n_cols);
  std::vector<std::byte> distinct(row_bytes * kDistinct);
  for (int64_t r = 0; r < kDistinct; ++r) {
    for (float& v : row) v = dist(rng);
    QuantizeRow(type, row.data(), distinct.data() + r * row_bytes, n_cols);
  }
  m->bytes.resize(row_bytes * n_rows);
  for (int64_t r = 0; r < n_rows; ++r) {
    std::copy_n(distinct.data() + (r % kDistinct) * row_bytes, row_bytes,
                m->bytes.data() + r * row_bytes);
  }
  m->view = WeightMatrix{type, m->bytes.data(), n_rows, n_cols};
  cache.push_back(std::move(m));
  return *cache.back();
}

ThreadPool& Pool(int n_threads) {
  static std::vector<std::unique_ptr<ThreadPool>> pools(65);
  auto& p = pools[n_threads];
  if (!p) p = std::make_unique<ThreadPool>(n_threads);
  return *p;
}

// Args: rows, cols, threads (0 = serial, no pool).
void BM_MatVec(benchmark::State& state, DType type) {
  const Matrix& m = GetMatrix(type, state.range(0), state.range(1));
  const int n_threads = static_cast<int>(state.range(2));
  std::vector<float> x(m.view.n_cols), y(m.view.n_rows);
  std::mt19937 rng(2);
  std::normal_distribution<float> dist;
  for (float& v : x) v = dist(rng);
  QuantizedActivations scratch;
  ParallelFor par = SerialFor;
  if (n_threads > 0) {
    par = [&pool = Pool(n_threads)](int64_t n, const RangeFn& fn) { pool.ParallelFor(n, fn); };
  }
  for (auto _ : state) {
    MatVec(m.view, x.data(), y.data(), &scratch, par);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * m.bytes.size());
}

// Args: rows, cols. One thread, activations quantized once outside the
// loop, rows that fit in L1 and L2: the decode kernel's own speed, which
// is what decode leans on while the weights stream in from memory.
void BM_MatVecKernel(benchmark::State& state, DType type) {
  const Matrix& m = GetMatrix(type, state.range(0), state.range(1));
  std::vector<float> x(m.view.n_cols), y(m.view.n_rows);
  std::mt19937 rng(2);
  std::normal_distribution<float> dist;
  for (float& v : x) v = dist(rng);
  QuantizedActivations xq;
  xq.Quantize(VecDotType(m.view.type), x.data(), 1, m.view.n_cols, m.view.n_cols, SerialFor);
  for (auto _ : state) {
    MatMul(m.view, xq, y.data(), m.view.n_rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * m.bytes.size());
}

// Args: threads. Decode as a model does it: one matrix-vector product
// after another over 384 MiB of weights in huge pages (copies of one
// 8192 x 2048 matrix), far more than any cache, so each one streams from
// DRAM with the next one's start not yet fetched. Besides GB/s it reports
// `of_read`: that speed over the plain read bandwidth of the same buffer
// with the same threads (MeasureReadBandwidth), one read pass before each
// timed pass, so types compare in one window on a machine whose bandwidth
// drifts.
void BM_MatVecStream(benchmark::State& state, DType type) {
  const Matrix& m = GetMatrix(type, 8192, 2048);
  const size_t copies = (size_t{384} << 20) / m.bytes.size();
  auto buffer = HugePageBuffer::Allocate(copies * m.bytes.size());
  if (!buffer) return state.SkipWithError("no memory for the weights");
  for (size_t c = 0; c < copies; ++c) {
    std::copy(m.bytes.begin(), m.bytes.end(), buffer->data() + c * m.bytes.size());
  }
  const int n_threads = static_cast<int>(state.range(0));
  const ParallelFor par = [&pool = Pool(n_threads)](int64_t n, const RangeFn& fn) {
    pool.ParallelFor(n, fn);
  };
  std::vector<float> x(m.view.n_cols), y(m.view.n_rows);
  std::mt19937 rng(2);
  std::normal_distribution<float> dist;
  for (float& v : x) v = dist(rng);
  QuantizedActivations scratch;
  const size_t bytes = copies * m.bytes.size();
  double read_seconds = 0;
  for (auto _ : state) {
    read_seconds +=
        static_cast<double>(bytes) / MeasureReadBandwidth(buffer->data(), bytes, par, 1);
    const auto start = std::chrono::steady_clock::now();
    for (size_t c = 0; c < copies; ++c) {
      WeightMatrix w = m.view;
      w.data = buffer->data() + c * m.bytes.size();
      MatVec(w, x.data(), y.data(), &scratch, par);
    }
    benchmark::DoNotOptimize(y.data());
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
  state.counters["of_read"] = benchmark::Counter(read_seconds, benchmark::Counter::kIsRate);
}

// Args: rows, cols, tokens, threads.
void BM_MatMul(benchmark::State& state, DType type) {
  const Matrix& m = GetMatrix(type, state.range(0), state.range(1));
  const int64_t n_tokens = state.range(2);
  const int n_threads = static_cast<int>(state.range(3));
  std::vector<float> x(m.view.n_cols * n_tokens), y(m.view.n_rows * n_tokens);
  std::mt19937 rng(3);
  std::normal_distribution<float> dist;
  for (float& v : x) v = dist(rng);
  QuantizedActivations scratch;
  ParallelFor par = SerialFor;
  if (n_threads > 0) {
    par = [&pool = Pool(n_threads)](int64_t n, const RangeFn& fn) { pool.ParallelFor(n, fn); };
  }
  for (auto _ : state) {
    MatMul(m.view, x.data(), n_tokens, y.data(), &scratch, par);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m.view.n_rows * m.view.n_cols * n_tokens * state.iterations(),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void DecodeShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "cols", "threads"});
  b->Args({256, 2048, 0});  // fits in L2: the kernel's compute speed alone
  for (int threads : {0, 2}) {
    b->Args({2048, 2048, threads});  // attn_q / attn_output
    b->Args({8192, 2048, threads});  // ffn_gate / ffn_up
    b->Args({2048, 8192, threads});  // ffn_down
  }
  b->UseRealTime();
}

void KernelShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "cols"});
  b->Args({16, 2048});   // 2 groups of 8 rows: in L1 for the 4-6 bit types
  b->Args({256, 2048});  // in L2
}

void PrefillShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "cols", "tokens", "threads"});
  b->Args({2048, 2048, 64, 0});
  b->Args({2048, 2048, 64, 2});
  b->UseRealTime();
}

#define SHIMMY_BENCH_TYPE(T)                                                                       \
  BENCHMARK_CAPTURE(BM_MatVec, T, DType::k##T)->Apply(DecodeShapes);                               \
  BENCHMARK_CAPTURE(BM_MatVecStream, T, DType::k##T)->ArgName("threads")->Arg(2)->UseManualTime(); \
  BENCHMARK_CAPTURE(BM_MatVecKernel, T, DType::k##T)->Apply(KernelShapes);                         \
  BENCHMARK_CAPTURE(BM_MatMul, T, DType::k##T)->Apply(PrefillShapes);

SHIMMY_BENCH_TYPE(Q4_K)
SHIMMY_BENCH_TYPE(Q4_K_X8)
SHIMMY_BENCH_TYPE(Q8_0)
SHIMMY_BENCH_TYPE(Q8_0_X8)
SHIMMY_BENCH_TYPE(F16)
SHIMMY_BENCH_TYPE(Q4_0)
SHIMMY_BENCH_TYPE(Q5_0)
SHIMMY_BENCH_TYPE(Q6_K)
SHIMMY_BENCH_TYPE(Q6_K_X8)

}  // namespace
}  // namespace shimmy

BENCHMARK_MAIN();
