// Attention's reads of the KV cache: query-key scores over gathered cached
// K rows, and probability-weighted sums of gathered cached V rows, for every
// element type the cache can hold (kv/kv_cache.h): F32 (the default), F16
// and Q8_0. SIMD with run-time dispatch; the scalar twins in ops_ref.h are
// the tests' oracle. Cached values are read as stored (a Q8_0 value is
// d * q), and all arithmetic is in float.
//
//   CachedRows k{.type = DType::kQ8_0, .base = layer_k + head_offset,
//                .stride = row_bytes, .rows = cells, .n = n_cells};
//   DotRows(q, head_dim, n_q, k, head_dim, 1 / sqrt(head_dim), scores);
//
// The n_q queries (or weight rows) are processed together over tiles of
// rows, so each cached row is read from memory once per call, not once per
// query head (grouped-query attention). Cost O(n_q * n * d); thread-safe.
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace shimmy {

// A gathered set of cached rows: the j-th is the d values stored as `type`
// at base + rows[j] * stride bytes.
struct CachedRows {
  DType type = DType::kF32;  // one of IsCachedRowType
  const void* base = nullptr;
  int64_t stride = 0;         // bytes from one cell's row to the next
  const int* rows = nullptr;  // cell indices, each >= 0
  int64_t n = 0;
};

// F32, F16 and Q8_0. F32 and F16 rows take any d; Q8_0 needs d, and the
// offset of `base` within a cell's row, to be whole blocks (multiples of 32
// values).
bool IsCachedRowType(DType type);

// scores[i * k.n + j] = scale * dot(q + i * q_stride, row j of k), d values.
void DotRows(const float* q, int64_t q_stride, int64_t n_q, const CachedRows& k, int64_t d,
             float scale, float* scores);

// out + i * out_stride = sum_j w[i * v.n + j] * (row j of v), d values,
// overwriting out (zeros when v.n == 0). `out` must not alias the rows.
void WeightedSumRows(const float* w, int64_t n_q, const CachedRows& v, int64_t d, float* out,
                     int64_t out_stride);

}  // namespace shimmy
