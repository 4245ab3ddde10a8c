// How models are named. Names are short, lowercase, stable (the same files
// give the same names on every scan) and unique.
//
// Ollama models keep the names people pulled them by: `model:tag` in the
// default `library` namespace, `namespace/model:tag` elsewhere on
// registry.ollama.ai, `host/namespace/model:tag` on other registries.
//
// Files (folders, Hugging Face, LM Studio) are named from the file name:
// the ".gguf" and any "-0000i-of-0000N" shard suffix are dropped, then a
// trailing quantization token (q4_k_m, iq4_xs, q8_0, f16, bf16, ud-q4_k_xl,
// ...) after '-', '.' or '_' becomes the tag:
//   Qwen2.5-0.5B-Instruct-Q4_K_M.gguf  ->  qwen2.5-0.5b-instruct:q4_k_m
//   stories260K.gguf                   ->  stories260k
// A generic stem ("model", "ggml-model", or just a quantization) takes the
// name of its folder or Hugging Face repo instead (minus a "-GGUF" suffix):
//   models--acme--Tiny-GGUF/.../ggml-model-Q4_K_M.gguf  ->  tiny:q4_k_m
//   .../mmproj-model-f16.gguf in that repo                 ->  tiny-mmproj:f16
// Characters outside [a-z0-9._-] become '-'.
//
// Collisions: names are handed out in a fixed order (Ollama names first,
// then files in search-place order, by path within a place); a later model
// whose name is taken gets "-2", "-3", ... on its model part:
// tiny-random-llama:q4_k_m, tiny-random-llama-2:q4_k_m.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shimmy::discovery {

// "model" and "tag" ("" when none) of a file name.
struct NameParts {
  std::string model;
  std::string tag;
};

NameParts NameFromFile(std::string_view file_name, std::string_view fallback);

// `host/namespace/model:tag` reduced as described above.
std::string OllamaName(std::string_view host, std::string_view name_space, std::string_view model,
                       std::string_view tag);

// "Qwen2.5-0.5B-Instruct-GGUF" -> "qwen2.5-0.5b-instruct".
std::string RepoBaseName(std::string_view repo);

// Lowercase; characters outside [a-z0-9._-] become '-', runs of '-' are
// collapsed, '-' and '.' trimmed from the ends.
std::string SanitizeName(std::string_view text);

std::string JoinName(const NameParts& parts);

// Given wanted names in priority order, returns unique names (same order).
std::vector<std::string> MakeUnique(const std::vector<std::string>& wanted);

std::string ToLower(std::string_view text);

}  // namespace shimmy::discovery
