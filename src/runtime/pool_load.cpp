// Turning a registry entry into a LoadedModel (Instance, ChatFormat,
// Scheduler), the deleter that keeps models from dying on their own engine
// thread, and the size estimates eviction works with.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <system_error>
#include <thread>

#include "gguf/gguf_file.h"
#include "runtime/pool_core.h"

namespace shimmy::runtime::detail {
namespace {

// Destroying a LoadedModel joins its Scheduler's engine thread, so the
// last reference must not be dropped on that thread. Where this thread is
// known to be safe (a pool thread), the model dies here; otherwise the
// reaper takes it; once the pool is gone, a thread of its own does.
struct ModelDeleter {
  std::weak_ptr<PoolCore> core;

  void operator()(LoadedModel* model) const noexcept {
    if (MayDestroyHere()) {
      delete model;
      return;
    }
    if (auto pool = core.lock(); pool && pool->Bury(model)) return;
    try {
      std::thread([model] { delete model; }).detach();
    } catch (const std::system_error& e) {
      // No thread to be had: leaking beats deadlocking on our own join.
      std::fprintf(stderr, "shimmy: cannot unload a model (%s); it stays in memory\n", e.what());
    }
  }
};

}  // namespace

uint64_t EstimateBytes(uint64_t file_bytes, const HParams& hparams, int n_ctx,
                       const PoolOptions& options) {
  // A head dim the type cannot hold fails the load; F32 bounds it meanwhile.
  const auto row_bytes = [](DType type, int n) {
    const uint64_t values = static_cast<uint64_t>(std::max(n, 0));
    return RowBytes(type, values).value_or(values * sizeof(float));
  };
  uint64_t per_token = 0;
  const size_t n_layer =
      std::min(static_cast<size_t>(std::max(hparams.n_layer, 0)), hparams.n_head_kv.size());
  for (size_t l = 0; l < n_layer; ++l) {
    per_token += static_cast<uint64_t>(std::max(hparams.n_head_kv[l], 0)) *
                 (row_bytes(options.cache_type_k, hparams.head_dim_k) +
                  row_bytes(options.cache_type_v, hparams.head_dim_v));
  }
  return file_bytes + per_token * static_cast<uint64_t>(std::max(n_ctx, 0));
}

uint64_t EstimateBytesBeforeLoad(const discovery::ModelEntry& entry, const PoolOptions& options) {
  auto file = gguf::GgufFile::Open(entry.path);
  if (!file) return entry.size_bytes;
  auto hparams = ReadHParams(*file);
  if (!hparams) return std::max(entry.size_bytes, file->file_size());
  // The context Instance::Create will choose.
  int n_ctx = options.n_ctx > 0 ? options.n_ctx : hparams->n_ctx_train;
  if (n_ctx <= 0) n_ctx = 2048;
  return EstimateBytes(std::max(entry.size_bytes, file->file_size()), *hparams, n_ctx, options);
}

Result<std::shared_ptr<LoadedModel>> PoolCore::LoadModel(const discovery::ModelEntry& entry) {
  const std::string what = "loading '" + entry.name + "'";
  const int n_parallel = std::clamp(options.n_parallel, 1, kMaxSequences - 1);
  try {
    auto instance = Instance::Create({.path = entry.path,
                                      .n_ctx = options.n_ctx,
                                      .n_threads = options.n_threads,
                                      // The Scheduler keeps the last sequence as
                                      // scratch for embeddings.
                                      .n_seq = n_parallel + 1,
                                      .cache_type_k = options.cache_type_k,
                                      .cache_type_v = options.cache_type_v});
    if (!instance) return instance.error().Context(what);
    std::unique_ptr<LoadedModel> model(new LoadedModel());
    model->entry_ = entry;
    model->instance_ = std::move(instance).value();
    Instance& inst = *model->instance_;

    // A model without a usable template still serves completions and
    // embeddings, so a template problem is logged, not fatal.
    if (inst.has_tokenizer()) {
      auto format = chat::ChatFormat::ForModel(inst.model().file(), inst.tokenizer().vocab());
      if (format) {
        model->format_ = std::move(format).value();
      } else {
        model->chat_format_error_ = format.error().message();
        Log("'" + entry.name +
            "' has no usable chat template, so no chat routes: " + model->chat_format_error_);
      }
    } else {
      model->chat_format_error_ = "the model has no tokenizer";
    }

    model->scheduler_ = std::make_unique<Scheduler>(
        inst, SchedulerOptions{.n_parallel = n_parallel, .max_queued = options.max_queued});
    model->loaded_at_ = Clock::now();
    model->estimated_bytes_ =
        EstimateBytes(std::max(entry.size_bytes, inst.model().file().file_size()),
                      inst.model().hparams(), inst.n_ctx(), options);
    return std::shared_ptr<LoadedModel>(model.release(), ModelDeleter{weak_from_this()});
  } catch (const std::exception& e) {
    // Out of memory or no thread for the engine: a failed load, not a crash.
    return Error(what + ": " + e.what());
  }
}

}  // namespace shimmy::runtime::detail
