#include "tensor/dtype.h"

#include <array>
#include <cctype>

namespace shimmy {
namespace {

// Block layouts are public facts of the GGUF format.
constexpr std::array kTypes = {
    DTypeInfo{DType::kF32, "F32", 1, 4, false},
    DTypeInfo{DType::kF16, "F16", 1, 2, false},
    DTypeInfo{DType::kQ4_0, "Q4_0", 32, 18, true},
    DTypeInfo{DType::kQ4_1, "Q4_1", 32, 20, true},
    DTypeInfo{DType::kQ5_0, "Q5_0", 32, 22, true},
    DTypeInfo{DType::kQ5_1, "Q5_1", 32, 24, true},
    DTypeInfo{DType::kQ8_0, "Q8_0", 32, 34, true},
    DTypeInfo{DType::kQ8_1, "Q8_1", 32, 36, true},
    DTypeInfo{DType::kQ2_K, "Q2_K", 256, 84, true},
    DTypeInfo{DType::kQ3_K, "Q3_K", 256, 110, true},
    DTypeInfo{DType::kQ4_K, "Q4_K", 256, 144, true},
    DTypeInfo{DType::kQ5_K, "Q5_K", 256, 176, true},
    DTypeInfo{DType::kQ6_K, "Q6_K", 256, 210, true},
    DTypeInfo{DType::kQ8_K, "Q8_K", 256, 292, true},
    DTypeInfo{DType::kIQ2_XXS, "IQ2_XXS", 256, 66, true},
    DTypeInfo{DType::kIQ2_XS, "IQ2_XS", 256, 74, true},
    DTypeInfo{DType::kIQ3_XXS, "IQ3_XXS", 256, 98, true},
    DTypeInfo{DType::kIQ1_S, "IQ1_S", 256, 50, true},
    DTypeInfo{DType::kIQ4_NL, "IQ4_NL", 32, 18, true},
    DTypeInfo{DType::kIQ3_S, "IQ3_S", 256, 110, true},
    DTypeInfo{DType::kIQ2_S, "IQ2_S", 256, 82, true},
    DTypeInfo{DType::kIQ4_XS, "IQ4_XS", 256, 136, true},
    DTypeInfo{DType::kI8, "I8", 1, 1, false},
    DTypeInfo{DType::kI16, "I16", 1, 2, false},
    DTypeInfo{DType::kI32, "I32", 1, 4, false},
    DTypeInfo{DType::kI64, "I64", 1, 8, false},
    DTypeInfo{DType::kF64, "F64", 1, 8, false},
    DTypeInfo{DType::kIQ1_M, "IQ1_M", 256, 56, true},
    DTypeInfo{DType::kBF16, "BF16", 1, 2, false},
    DTypeInfo{DType::kTQ1_0, "TQ1_0", 256, 54, true},
    DTypeInfo{DType::kTQ2_0, "TQ2_0", 256, 66, true},
    DTypeInfo{DType::kMXFP4, "MXFP4", 32, 17, true},
    // Same bytes per row as Q8_0, Q4_K and Q6_K; only groups of 8 whole
    // rows are addressable.
    DTypeInfo{DType::kQ8_0_X8, "Q8_0_X8", 32, 34, true},
    DTypeInfo{DType::kQ4_K_X8, "Q4_K_X8", 256, 144, true},
    DTypeInfo{DType::kQ6_K_X8, "Q6_K_X8", 256, 210, true},
};

bool IsInternal(DType type) { return static_cast<uint32_t>(type) >= kFirstInternalDType; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<DTypeInfo> LookupDType(uint32_t id) {
  if (id >= kFirstInternalDType) return std::nullopt;
  for (const auto& info : kTypes) {
    if (static_cast<uint32_t>(info.type) == id) return info;
  }
  return std::nullopt;
}

const DTypeInfo& Info(DType type) {
  for (const auto& info : kTypes) {
    if (info.type == type) return info;
  }
  return kTypes[0];  // unreachable for valid enum values
}

std::optional<DType> ParseDType(std::string_view name) {
  for (const auto& info : kTypes) {
    if (!IsInternal(info.type) && EqualsIgnoreCase(info.name, name)) return info.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> RowBytes(DType type, uint64_t n) {
  const DTypeInfo& info = Info(type);
  if (n % info.block_size != 0) return std::nullopt;
  return n / info.block_size * info.block_bytes;
}

}  // namespace shimmy
