#include "app/kv_cache_flags.h"

#include <algorithm>
#include <cctype>

namespace shimmy::app {
namespace {

DType Parse(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (name == "f16") return DType::kF16;
  if (name == "q8_0") return DType::kQ8_0;
  return DType::kF32;  // the parse admits nothing else
}

DType Choose(const std::string& one, const std::string& both) {
  return Parse(!one.empty() ? one : both);
}

}  // namespace

DType KvCacheFlags::k_type() const { return Choose(k, both); }
DType KvCacheFlags::v_type() const { return Choose(v, both); }

void AddKvCacheFlags(CLI::App* cmd, KvCacheFlags& flags) {
  const auto types = CLI::IsMember({"f32", "f16", "q8_0"}, CLI::ignore_case);
  cmd->add_option("--kv-cache-type", flags.both,
                  "KV cache element type for keys and values: f32 (exact), f16 (half the "
                  "memory), q8_0 (about a quarter) [default: f32]")
      ->envname("SHIMMY_KV_CACHE_TYPE")
      ->check(types);
  cmd->add_option("--cache-type-k", flags.k, "KV cache type for keys only (as llama-server)")
      ->check(types);
  cmd->add_option("--cache-type-v", flags.v, "KV cache type for values only (as llama-server)")
      ->check(types);
}

}  // namespace shimmy::app
