// Reading a model's facts (kind, architecture, size, quantization) from its
// GGUF header. Only the header and tensor directory are parsed; tensor data
// is mapped but never touched, so a 40 GB model costs what its header costs.
// Never fails: a file that is not a usable model comes back as kNotAModel
// with the reason in ModelFacts::problem. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "discovery/model_entry.h"
#include "gguf/gguf_file.h"

namespace shimmy::discovery {

// Opens `path` (the first shard of a split model opens every shard) and
// classifies it.
ModelFacts ReadFacts(const std::string& path);

// Classifies an open file (exposed for tests).
ModelFacts FactsFromGguf(const gguf::GgufFile& file);

// The name of a llama.cpp `general.file_type` value ("Q4_K_M"); "" when
// unknown.
std::string_view FileTypeName(uint64_t file_type);

}  // namespace shimmy::discovery
