// Matrix products of quantized weights with float activations, the bulk of
// an LLM forward pass. Weights stay in their stored format (or one of the
// 8-row interleaved layouts the model may repack them into, see
// MatMulHasInterleavedKernels); activations are converted once per token
// into the weight type's vec-dot format (see quant/quant.h, VecDotType),
// exactly as llama.cpp's CPU backend does, so results match it up to float
// summation order.
//
//   WeightMatrix wq{tensor.type, tensor.data, n_rows, n_cols};
//   QuantizedActivations xq;
//   xq.Quantize(VecDotType(wq.type), x, n_tokens, n_cols, n_cols, par);
//   MatMul(wq, xq, q_out, wq.n_rows, par);  // y[t * n_rows + r]
//   MatMul(wk, xq, k_out, wk.n_rows, par);  // same input, same vec-dot type
//
// Decode (one token) streams every weight row once; the rows are split
// across `par`. Prefill (many tokens) multiplies each decoded weight block
// with up to 4 tokens while it is in registers and walks the rows in blocks
// small enough to stay in cache while all tokens pass over them.
//
// SIMD paths are chosen at run time for the CPU (Highway dynamic dispatch:
// SSSE3, SSE4, AVX2, AVX-512, or portable code). Every function is
// thread-safe; MatMul writes only y.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/parallel.h"
#include "tensor/dtype.h"

namespace shimmy {

// A row-major matrix in a GGUF tensor type: n_rows rows of n_cols elements,
// each RowBytes(type, n_cols) bytes, consecutive. For a GGUF tensor of shape
// (ggml order) [n_cols, n_rows] that is simply its data. Not owning.
struct WeightMatrix {
  DType type = DType::kF32;
  const void* data = nullptr;
  int64_t n_rows = 0;
  int64_t n_cols = 0;

  size_t row_bytes() const;
  const std::byte* row(int64_t r) const {
    return static_cast<const std::byte*>(data) + static_cast<size_t>(r) * row_bytes();
  }
};

// Whether MatMul supports weights of this type (F32, F16, BF16, Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ4_NL, IQ4_XS, MXFP4, and the in-memory
// Q8_0_X8, Q4_K_X8 and Q6_K_X8).
bool MatMulSupports(DType weight);

// Whether this CPU has the kernels for the 8-row interleaved layouts
// Q8_0_X8, Q4_K_X8 and Q6_K_X8 (quant/block_types.h; AVX512-VNNI): then
// Q8_0 (and Q5_0), Q4_K and Q6_K matrices of 8k rows multiply faster
// repacked that way (RepackQ8_0AsX8, RepackQ4_KAsX8, ...). Elsewhere MatMul still accepts those
// layouts, but slower than the plain ones. Such a WeightMatrix is addressed
// in groups of 8 rows: n_rows is a multiple of 8 and row(r) is meaningful
// only for r a multiple of 8.
bool MatMulHasInterleavedKernels();

// Activation rows converted to one vec-dot format. Owns its buffer and keeps
// its capacity across Quantize calls (no allocation in steady state).
// Not thread-safe to Quantize while another thread reads it.
class QuantizedActivations {
 public:
  // Converts n_tokens rows of n_cols floats (row t at x + t * x_stride).
  // act_type: F32, F16, BF16, Q8_0, Q8_1 or Q8_K; n_cols a multiple of its
  // block size. Rows are converted in parallel when there are many.
  void Quantize(DType act_type, const float* x, int64_t n_tokens, int64_t n_cols, int64_t x_stride,
                const ParallelFor& par = SerialFor);

  DType type() const { return type_; }
  int64_t n_tokens() const { return n_tokens_; }
  int64_t n_cols() const { return n_cols_; }
  size_t row_bytes() const { return row_bytes_; }
  const std::byte* row(int64_t t) const {
    return buffer_.data() + static_cast<size_t>(t) * row_bytes_;
  }

  // Q8_0/Q8_1 block scales of row t decoded to float for the kernels (d of
  // every block, then Q8_1's s of every block); empty for other formats.
  const float* block_scales(int64_t t) const {
    return scales_.data() + static_cast<size_t>(t) * scales_stride_;
  }
  size_t block_scales_stride() const { return scales_stride_; }
  // Heap bytes held.
  size_t buffer_bytes() const { return buffer_.capacity() + scales_.capacity() * sizeof(float); }

 private:
  DType type_ = DType::kF32;
  int64_t n_tokens_ = 0;
  int64_t n_cols_ = 0;
  size_t row_bytes_ = 0;
  std::vector<std::byte> buffer_;
  size_t scales_stride_ = 0;
  std::vector<float> scales_;
};

// y[t * y_stride + r] = dot(row r of w, token t of x) for every row r and
// token t. Preconditions: x.type() == VecDotType(w.type), x.n_cols() ==
// w.n_cols, y_stride >= w.n_rows.
void MatMul(const WeightMatrix& w, const QuantizedActivations& x, float* y, int64_t y_stride,
            const ParallelFor& par = SerialFor);

// One output of MatMulGroup: y[t * y_stride + r] = row r of *w . token t.
struct MatMulOutput {
  const WeightMatrix* w = nullptr;
  float* y = nullptr;
  int64_t y_stride = 0;
};

// Several MatMuls of the same activations (q, k and v; gate and up) as one
// parallel operation: the row blocks of every output are dealt out
// together, so the threads meet once instead of once per matrix. Decode
// runs a few hundred matmuls per token, and for small ones (a 128-row k
// projection) that meeting costs more than the rows. Each output must
// satisfy MatMul's preconditions against x; results equal separate MatMuls.
void MatMulGroup(const MatMulOutput* outputs, size_t n_outputs, const QuantizedActivations& x,
                 const ParallelFor& par = SerialFor);

// Converts x (n_tokens rows of w.n_cols floats, contiguous) into `scratch`,
// then MatMul with y_stride = w.n_rows.
void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            QuantizedActivations* scratch, const ParallelFor& par = SerialFor);

// One token: y[r] = dot(row r of w, x).
inline void MatVec(const WeightMatrix& w, const float* x, float* y, QuantizedActivations* scratch,
                   const ParallelFor& par = SerialFor) {
  MatMul(w, x, 1, y, scratch, par);
}

// Single rows, for tests and odd jobs: the SIMD twin of VecDotRef, and of
// QuantizeRow for the activation formats (bit-identical to it).
float VecDot(DType weight, const void* w_row, const void* act_row, int64_t n);
void QuantizeActivationRow(DType act_type, const float* x, void* dst, int64_t n);

}  // namespace shimmy
