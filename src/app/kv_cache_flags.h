// The KV cache flags of the commands that run a model: --kv-cache-type sets
// both K and V (as Ollama's OLLAMA_KV_CACHE_TYPE does; env
// SHIMMY_KV_CACHE_TYPE), and llama-server's --cache-type-k/--cache-type-v
// set one side each. Types: f32 (the default: exact), f16 (half the
// memory), q8_0 (about a quarter).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "tensor/dtype.h"

namespace shimmy::app {

struct KvCacheFlags {
  std::string both, k, v;  // empty: not given

  DType k_type() const;
  DType v_type() const;
};

// `flags` must outlive the parse; the parse rejects unknown type names.
void AddKvCacheFlags(CLI::App* cmd, KvCacheFlags& flags);

}  // namespace shimmy::app
