// Scalar reference codecs for the GGUF tensor types: the readable oracle the
// SIMD kernels (src/kernels) are tested against, and the converters used by
// tests and tools. Nothing here is on the hot path of inference.
//
//   std::vector<float> row(n);
//   DequantizeRow(DType::kQ4_K, tensor.data, row.data(), n);
//
//   // What a matmul computes for one weight row and one activation row:
//   DType act = VecDotType(DType::kQ4_K);                  // kQ8_K
//   std::vector<std::byte> q(*RowBytes(act, n));
//   QuantizeRow(act, x, q.data(), n);
//   float y = VecDotRef(DType::kQ4_K, w_row, q.data(), n);
//
// Rows: `n` counts elements and must be a multiple of the type's block size
// (RowBytes(type, n) bytes). Pointers need no alignment. All functions are
// pure and thread-safe. Calling one with a type it does not support is a
// programmer error (asserted); check the Can* predicates when a type comes
// from a file.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace shimmy {

// Types DequantizeRow understands: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q8_1, Q2_K..Q6_K, Q8_K, IQ4_NL, IQ4_XS, MXFP4.
bool CanDequantize(DType type);

// Types QuantizeRow can produce: all of the above except MXFP4.
bool CanQuantize(DType type);

// Types that can be matmul weights (VecDotRef and the kernels handle them):
// the dequantizable types except the activation-only Q8_1 and Q8_K.
bool IsWeightType(DType type);

void DequantizeRow(DType type, const void* src, float* dst, int64_t n);

// Encodes a row. For the activation types this is exactly the conversion
// llama.cpp's x86 CPU backend applies before a matmul (round to nearest even):
//   F16, BF16  per element.
//   Q8_0       per 32: amax = max|x|, d = F16(amax / 127),
//              q = round(x * (127 / amax)).
//   Q8_1       as Q8_0 plus s = F16((amax / 127) * sum(q)).
//   Q8_K       per 256: m = the element of largest magnitude (first one),
//              q = min(127, round(x * (-127 / m))), d = 1 / (-127 / m).
// Weight types use simple round-to-nearest / min-max fits: good enough for
// tests and random models, not bit-identical to llama-quantize.
void QuantizeRow(DType type, const float* src, void* dst, int64_t n);

// The format activations must be converted to before a dot product with a
// weight row of type `weight`: F32/F16/BF16 -> themselves; Q4_0, Q5_0, Q8_0,
// IQ4_NL, MXFP4 (and the in-memory Q8_0_X8) -> Q8_0; Q4_1, Q5_1 -> Q8_1;
// K-quants (and the in-memory Q4_K_X8, Q6_K_X8), IQ4_XS -> Q8_K.
DType VecDotType(DType weight);

// Dot product of one weight row and one activation row already in
// VecDotType(weight). Quantized types accumulate each block's products in
// integers and scale them in float, as llama.cpp does; float types
// accumulate in double. Precondition: IsWeightType(weight).
float VecDotRef(DType weight, const void* w_row, const void* act_row, int64_t n);

// Rewrites a Q5_0 row as Q8_0, exactly: both hold d * (q - 16) per element
// with the same d, Q8_0 as a plain signed byte. 34 bytes per 32 elements
// instead of 22, but the Q8_0 kernels skip Q5_0's bit unpacking, which
// makes Q5_0 decode compute-bound on AVX2 (see docs/PERFORMANCE.md).
void RepackQ5_0AsQ8_0(const void* src, void* dst, int64_t n);

// Interleaved layouts (quant/block_types.h) for kernels that multiply 8
// rows at once: n_rows rows of n_cols elements (n_rows a multiple of 8)
// rewritten as DType::kQ8_0_X8 / kQ4_K_X8 / kQ6_K_X8, the same bytes in
// another order (Q8_0's values offset to unsigned). Q5_0 rows become
// Q8_0_X8 through RepackQ5_0AsQ8_0 (34 bytes per 32 elements).
void RepackQ8_0AsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols);
void RepackQ5_0AsQ8_0X8(const void* src, void* dst, int64_t n_rows, int64_t n_cols);
void RepackQ4_KAsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols);
void RepackQ6_KAsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols);
// The inverses for one group: 8 interleaved rows back to 8 plain rows (row r
// at dst + r * RowBytes(plain type, n_cols)); Q8_0_X8 gives Q8_0 rows.
void UnpackQ8_0X8Group(const void* group, void* dst, int64_t n_cols);
void UnpackQ4_KX8Group(const void* group, void* dst, int64_t n_cols);
void UnpackQ6_KX8Group(const void* group, void* dst, int64_t n_cols);

// Whether `type` is one of those layouts, whose rows exist only 8 at a time,
// and the type of the rows it holds (Q8_0, Q4_K, Q6_K).
bool IsInterleaved(DType type);
DType PlainTypeOf(DType interleaved);
// UnpackQ8_0X8Group, UnpackQ4_KX8Group or UnpackQ6_KX8Group by type.
void UnpackInterleavedGroup(DType type, const void* group, void* dst, int64_t n_cols);
// Row r (< 8) of one group as floats, as DequantizeRow gives for that row
// in its plain type. Allocates nothing.
void DequantizeInterleavedRow(DType type, const void* group, int r, float* dst, int64_t n_cols);

}  // namespace shimmy
