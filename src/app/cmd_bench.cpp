// shimmy bench MODEL: prefill and decode throughput of one model, measured
// the way llama-bench measures pp/tg so the two can be compared
// (bench/compare runs them side by side).
//
// Per rep: the KV cache is cleared, the prompt (prompt-len fixed
// pseudo-random ids) is evaluated in one Forward::Run with logits for the
// last position only, then gen-len single-token Runs continue the sequence,
// each feeding back the argmax of the previous logits. Each phase is timed
// with steady_clock. One short untimed warm-up run comes first (unless
// --no-warmup) so page faults on the mapped weights and first-use scratch
// allocation are not measured. --prompt-len 0 times decode from an empty
// context, which is what llama-bench's tg test does.
//
// --bandwidth also measures the machine's read bandwidth after the reps,
// once from 4 KiB pages and once from 2 MiB (transparent huge) pages, with
// the bench's threads, and prints decode's weight traffic (bytes of weights
// per token x tokens/second) as a share of each: the physical limit of
// decode, which reads every weight once per token.
#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <vector>

#include "app/commands.h"
#include "app/kv_cache_flags.h"
#include "app/model_arg.h"
#include "base/huge_page_buffer.h"
#include "engine/instance.h"
#include "kernels/stream_read.h"

namespace shimmy::app {
namespace {

struct BenchOptions {
  ModelArgs model_args;  // as typed
  std::string model;     // the file it resolved to
  int prompt_len = 512;
  int gen_len = 128;
  int reps = 3;
  int threads = 0;
  bool json = false;
  bool no_warmup = false;
  bool bandwidth = false;
  int bandwidth_mib = 1024;  // per buffer; far beyond any last-level cache
  KvCacheFlags kv;
};

// Read bandwidth in bytes/second from each page size (see --bandwidth).
struct Bandwidth {
  double small_pages = 0;  // 4 KiB pages
  double huge_pages = 0;   // a HugePageBuffer
  size_t huge_bytes = 0;   // how much of that buffer the kernel gave 2 MiB pages
};

struct RepTimes {
  double prefill_ms = 0;
  double decode_ms = 0;
};

// Median, min and max tokens/second over the reps.
struct Rate {
  double median = 0, min = 0, max = 0;
};

int Fail(const std::string& message, int code = kExitRuntime) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

Rate RateOf(std::vector<double> tok_s) {
  std::sort(tok_s.begin(), tok_s.end());
  const size_t n = tok_s.size();
  const double median = n % 2 ? tok_s[n / 2] : (tok_s[n / 2 - 1] + tok_s[n / 2]) / 2;
  return {median, tok_s.front(), tok_s.back()};
}

TokenId Argmax(const std::vector<float>& logits) {
  return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// One rep from an empty cache: `prompt` in one Run, then `n_gen` decode
// steps. Times each phase.
Result<RepTimes> RunOnce(Instance& inst, const std::vector<TokenId>& prompt, int n_gen) {
  inst.kv().Clear();
  RepTimes t;
  std::vector<float> logits;
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < prompt.size(); ++i) {
    batch.push_back({prompt[i], static_cast<int32_t>(i), 0, i + 1 == prompt.size()});
  }
  auto start = std::chrono::steady_clock::now();
  if (!batch.empty()) {
    if (auto st = inst.forward().Run(batch, &logits); !st) return st.error().Context("prefill");
  }
  t.prefill_ms = MsSince(start);

  // Without a prompt, decode starts from a fixed token at position 0.
  TokenId next = logits.empty() ? 1 % inst.model().hparams().n_vocab : Argmax(logits);
  int32_t pos = static_cast<int32_t>(prompt.size());
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < n_gen; ++i) {
    const BatchToken tok{next, pos++, 0, true};
    if (auto st = inst.forward().Run({&tok, 1}, &logits); !st) return st.error().Context("decode");
    next = Argmax(logits);
  }
  t.decode_ms = MsSince(start);
  return t;
}

// Anonymous memory the kernel is asked to keep in 4 KiB pages (where
// transparent huge pages are `always`, it would otherwise use 2 MiB ones).
class SmallPageBuffer {
 public:
  explicit SmallPageBuffer(size_t bytes)
      : size_(bytes),
        data_(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
    } else {
      madvise(data_, size_, MADV_NOHUGEPAGE);
    }
  }
  ~SmallPageBuffer() {
    if (data_ != nullptr) munmap(data_, size_);
  }
  SmallPageBuffer(const SmallPageBuffer&) = delete;
  SmallPageBuffer& operator=(const SmallPageBuffer&) = delete;

  std::byte* data() const { return static_cast<std::byte*>(data_); }

 private:
  size_t size_;
  void* data_;
};

// Fills one buffer, then another, of `bytes` each (one at a time, so the
// peak is one buffer) and reads each with the bench's threads, best of 5.
// The fill happens first so page faults are not timed.
Result<Bandwidth> MeasureBandwidth(Instance& inst, size_t bytes) {
  ThreadPool& pool = inst.pool();
  const ParallelFor par = [&pool](int64_t n, const RangeFn& fn) { pool.ParallelFor(n, fn); };
  constexpr int kPasses = 5;
  Bandwidth bw;
  {
    SmallPageBuffer small(bytes);
    if (small.data() == nullptr) {
      return Error(fmt::format("cannot allocate {} MiB: {}", bytes >> 20, std::strerror(errno)));
    }
    std::memset(small.data(), 0x5a, bytes);
    bw.small_pages = MeasureReadBandwidth(small.data(), bytes, par, kPasses);
  }
  auto huge = HugePageBuffer::Allocate(bytes);
  if (!huge) return huge.error();
  std::memset(huge->data(), 0x5a, bytes);
  bw.huge_bytes = huge->HugeBytes();
  bw.huge_pages = MeasureReadBandwidth(huge->data(), bytes, par, kPasses);
  return bw;
}

// Bytes of weights one decode step reads: every tensor, except that an
// untied token embedding is only looked up (one row), while a tied one is
// also the output matrix and read whole. Mixture-of-experts models read only
// their active experts, so for them this is an upper bound.
// Decode reads every weight once per token, except a separate token_embd
// (only its looked-up rows). `in_memory`: as held after any repacking at
// load; otherwise as the file stores them, the measure the bandwidth
// percentages use, so that a repack which reads more bytes gets no credit.
uint64_t WeightBytesPerToken(const Model& model, bool in_memory = false) {
  const auto size = [in_memory](const gguf::TensorInfo& t) {
    return in_memory ? t.n_bytes : t.file_n_bytes;
  };
  uint64_t bytes = 0;
  for (const auto& t : model.file().tensors()) bytes += size(t);
  const auto& w = model.weights();
  if (w.output && w.token_embd) bytes -= size(*w.token_embd.info);
  return bytes;
}

std::string WeightMemoryText(const Model& model) {
  if (model.weight_memory() == WeightMemory::kMapped) return "mapped";
  return "huge_pages";
}

nlohmann::json RateJson(const std::optional<Rate>& r, double Rate::*field) {
  return r ? nlohmann::json((*r).*field) : nlohmann::json();
}

// Decode's weight traffic in bytes/second: every weight once per token.
std::optional<double> DecodeWeightBps(Instance& inst, const std::optional<Rate>& tg) {
  if (!tg) return std::nullopt;
  return static_cast<double>(WeightBytesPerToken(inst.model())) * tg->median;
}

// `value` / `limit` in percent, null (nullopt) when either is unknown.
std::optional<double> PercentOf(std::optional<double> value, std::optional<double> limit) {
  if (!value || !limit || *limit <= 0) return std::nullopt;
  return 100.0 * *value / *limit;
}

nlohmann::json OrNull(std::optional<double> v, double scale = 1.0) {
  return v ? nlohmann::json(*v * scale) : nlohmann::json();
}

void PrintJson(const BenchOptions& o, Instance& inst, const std::vector<RepTimes>& reps,
               const std::optional<Rate>& pp, const std::optional<Rate>& tg,
               const std::optional<Bandwidth>& bw) {
  nlohmann::json prefill_ms = nlohmann::json::array(), decode_ms = nlohmann::json::array();
  for (const RepTimes& t : reps) {
    prefill_ms.push_back(t.prefill_ms);
    decode_ms.push_back(t.decode_ms);
  }
  const std::optional<double> decode_bps = DecodeWeightBps(inst, tg);
  std::optional<double> small, huge;
  if (bw) {
    small = bw->small_pages;
    huge = bw->huge_pages;
  }
  const nlohmann::json j = {
      {"model", o.model},
      {"architecture", inst.model().hparams().arch},
      {"threads", inst.pool().n_threads()},
      {"load_ms", inst.load_ms()},
      {"weights", WeightMemoryText(inst.model())},
      {"weight_huge_page_bytes", inst.model().huge_page_bytes()},
      {"weight_bytes_per_token", WeightBytesPerToken(inst.model())},
      {"weight_bytes_read_per_token", WeightBytesPerToken(inst.model(), true)},
      {"kv_cache_type_k", Name(inst.kv().k_type())},
      {"kv_cache_type_v", Name(inst.kv().v_type())},
      {"kv_cache_bytes_per_token", inst.kv().cell_bytes()},
      {"prompt_len", o.prompt_len},
      {"gen_len", o.gen_len},
      {"reps", o.reps},
      {"warmup", !o.no_warmup},
      {"prefill_tok_s", RateJson(pp, &Rate::median)},
      {"prefill_tok_s_min", RateJson(pp, &Rate::min)},
      {"prefill_tok_s_max", RateJson(pp, &Rate::max)},
      {"decode_tok_s", RateJson(tg, &Rate::median)},
      {"decode_tok_s_min", RateJson(tg, &Rate::min)},
      {"decode_tok_s_max", RateJson(tg, &Rate::max)},
      {"prefill_ms", prefill_ms},
      {"decode_ms", decode_ms},
      {"read_gbps_4k", OrNull(small, 1e-9)},
      {"read_gbps_huge", OrNull(huge, 1e-9)},
      {"read_huge_page_bytes", bw ? nlohmann::json(bw->huge_bytes) : nlohmann::json()},
      {"decode_weight_gbps", OrNull(decode_bps, 1e-9)},
      {"decode_pct_of_huge", OrNull(PercentOf(decode_bps, huge))},
      {"decode_pct_of_4k", OrNull(PercentOf(decode_bps, small))},
  };
  std::puts(j.dump().c_str());
}

void PrintText(const BenchOptions& o, Instance& inst, const std::optional<Rate>& pp,
               const std::optional<Rate>& tg, const std::optional<Bandwidth>& bw) {
  fmt::print("model:   {} ({}, loaded in {:.0f} ms)\n", o.model, inst.model().hparams().arch,
             inst.load_ms());
  const uint64_t stored = WeightBytesPerToken(inst.model());
  const uint64_t read = WeightBytesPerToken(inst.model(), true);
  fmt::print("weights: {} MiB per token as stored{}, {}\n", stored >> 20,
             read == stored ? std::string() : fmt::format(" ({} MiB read once repacked)", read >> 20),
             inst.model().weight_memory() == WeightMemory::kMapped
                 ? std::string("mapped from the file")
                 : fmt::format("copied to memory, {} MiB in 2 MiB pages",
                               inst.model().huge_page_bytes() >> 20));
  fmt::print("threads: {}, {} rep{}{}\n", inst.pool().n_threads(), o.reps, o.reps == 1 ? "" : "s",
             o.no_warmup ? "" : " after 1 warm-up run");
  if (bw) {
    fmt::print(
        "bandwidth: 4 KiB pages {:.1f} GB/s, 2 MiB pages {:.1f} GB/s ({} MiB in huge pages)\n",
        bw->small_pages * 1e-9, bw->huge_pages * 1e-9, bw->huge_bytes >> 20);
  }
  fmt::print("{:<8} {:>12} {:>10} {:>10}\n", "test", "tok/s", "min", "max");
  const auto row = [](const std::string& test, const Rate& r) {
    fmt::print("{:<8} {:>12.2f} {:>10.2f} {:>10.2f}\n", test, r.median, r.min, r.max);
  };
  if (pp) row(fmt::format("pp{}", o.prompt_len), *pp);
  if (tg) row(fmt::format("tg{}", o.gen_len), *tg);
  const std::optional<double> decode_bps = DecodeWeightBps(inst, tg);
  if (bw && decode_bps) {
    fmt::print(
        "tg{}: {:.1f} GB/s of weights = {:.0f} % of the 2 MiB-page limit, {:.0f} % of the "
        "4 KiB limit\n",
        o.gen_len, *decode_bps * 1e-9, *PercentOf(decode_bps, bw->huge_pages),
        *PercentOf(decode_bps, bw->small_pages));
  }
}

int RunBench(const BenchOptions& o) {
  auto created = Instance::Create({.path = o.model,
                                   .n_ctx = o.prompt_len + o.gen_len,
                                   .n_threads = o.threads,
                                   .cache_type_k = o.kv.k_type(),
                                   .cache_type_v = o.kv.v_type()});
  if (!created) return Fail(created.error().message());
  Instance& inst = **created;

  // Fixed pseudo-random ids: the same prompt every run and every build.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<TokenId> any_token(0, inst.model().hparams().n_vocab - 1);
  std::vector<TokenId> prompt(static_cast<size_t>(o.prompt_len));
  for (TokenId& id : prompt) id = any_token(rng);

  if (!o.no_warmup) {
    const std::vector<TokenId> head(prompt.begin(), prompt.begin() + std::min(o.prompt_len, 32));
    if (auto w = RunOnce(inst, head, std::min(o.gen_len, 4)); !w)
      return Fail(w.error().Context(o.model).message());
  }
  std::vector<RepTimes> reps;
  std::vector<double> pp_tok_s, tg_tok_s;
  for (int r = 0; r < o.reps; ++r) {
    auto t = RunOnce(inst, prompt, o.gen_len);
    if (!t) return Fail(t.error().Context(o.model).message());
    reps.push_back(*t);
    if (o.prompt_len > 0) pp_tok_s.push_back(o.prompt_len * 1000.0 / std::max(t->prefill_ms, 1e-6));
    if (o.gen_len > 0) tg_tok_s.push_back(o.gen_len * 1000.0 / std::max(t->decode_ms, 1e-6));
  }
  std::optional<Rate> pp, tg;
  if (!pp_tok_s.empty()) pp = RateOf(pp_tok_s);
  if (!tg_tok_s.empty()) tg = RateOf(tg_tok_s);
  std::optional<Bandwidth> bw;
  if (o.bandwidth) {
    size_t bytes = static_cast<size_t>(o.bandwidth_mib) << 20;
    // Filling more than half of what is free could push the model (or
    // anything else) out of memory; a smaller buffer still dwarfs the caches.
    if (const size_t avail = AvailableMemoryBytes(); avail > 0 && bytes > avail / 2) {
      bytes = std::max(avail / 2, size_t{1} << 20);
      std::fprintf(stderr, "bench: bandwidth buffers reduced to %zu MiB (%zu MiB available)\n",
                   bytes >> 20, avail >> 20);
    }
    auto measured = MeasureBandwidth(inst, bytes);
    if (!measured) return Fail(measured.error().Context("measuring bandwidth").message());
    bw = *measured;
  }
  if (o.json) {
    PrintJson(o, inst, reps, pp, tg, bw);
  } else {
    PrintText(o, inst, pp, tg, bw);
  }
  return kExitOk;
}

// Resolves the model name to its file, then benchmarks it.
int ResolveAndRun(BenchOptions& o) {
  if (o.prompt_len + o.gen_len <= 0)
    return Fail("nothing to measure: --prompt-len and --gen-len are 0", kExitUsage);
  auto split = SplitModelArgs(o.model_args, /*prompt_text=*/false, /*prompt_given=*/false);
  if (!split) return Fail(split.error().message(), kExitUsage);
  auto model = ResolveModelArg(split->model);
  if (!model) return Fail(model.error().message());
  o.model = model->path;
  return RunBench(o);
}

}  // namespace

void RegisterBench(CLI::App& app, CommandRunner& runner) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure prefill and decode speed (tokens/second)");
  AddModelArgs(cmd, o->model_args, /*prompt_text=*/false);
  cmd->add_option("-p,--prompt-len", o->prompt_len, "Prompt tokens per prefill (0: decode only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("-n,--gen-len", o->gen_len, "Tokens decoded one at a time after the prompt")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("-r,--reps", o->reps, "Measured repetitions (median reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("-t,--threads", o->threads, "Compute threads (default: physical cores)");
  AddKvCacheFlags(cmd, o->kv);
  cmd->add_flag("--no-warmup", o->no_warmup, "Skip the untimed warm-up run");
  cmd->add_flag("--bandwidth", o->bandwidth,
                "Also measure read bandwidth (4 KiB and 2 MiB pages) and decode's share of it");
  cmd->add_option("--bandwidth-mib", o->bandwidth_mib, "Size of each --bandwidth buffer in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o, &runner] { runner = [o] { return ResolveAndRun(*o); }; });
}

}  // namespace shimmy::app
