// Element types of tensors as numbered in GGUF files (ggml's type ids), with
// their block geometry. Quantized types store `block_size` elements in
// `block_bytes` bytes; plain types have a block of one element.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace shimmy {

// Ids from here on are shimmy's own in-memory layouts.
inline constexpr uint32_t kFirstInternalDType = 1u << 16;

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
  // Layouts shimmy makes in memory, never read from or written to a file
  // (LookupDType and ParseDType do not know them).
  kQ8_0_X8 = kFirstInternalDType + 8,   // Q8_0, 8 rows interleaved (quant/block_types.h)
  kQ4_K_X8 = kFirstInternalDType + 12,  // Q4_K, likewise
  kQ6_K_X8 = kFirstInternalDType + 14,  // Q6_K, likewise
};

struct DTypeInfo {
  DType type;
  std::string_view name;  // as llama.cpp and Hugging Face print it: "Q4_K"
  uint32_t block_size;    // elements per block
  uint32_t block_bytes;   // bytes per block
  bool quantized;
};

// Geometry of a type id read from a file; nullopt for ids that are not (or
// no longer) valid GGUF tensor types, and for shimmy's internal layouts.
std::optional<DTypeInfo> LookupDType(uint32_t id);

// Geometry of a known type.
const DTypeInfo& Info(DType type);

inline std::string_view Name(DType type) { return Info(type).name; }

// Parses "Q4_K", "q4_k", "F16"... ; nullopt when unknown or internal.
std::optional<DType> ParseDType(std::string_view name);

// Bytes needed for a row of `n` elements; nullopt when `n` is not a
// multiple of the block size.
std::optional<uint64_t> RowBytes(DType type, uint64_t n);

}  // namespace shimmy
