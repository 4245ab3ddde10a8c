// Per-target matmul driver (compiled once per Highway target through
// foreach_target.h) and the dispatching public functions.

#include "kernels/matmul.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "quant/block_types.h"
#include "quant/quant.h"
#include "tensor/half.h"

// clang-format off: foreach_target.h must come first, then highway.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/dot_float-inl.h"
#include "kernels/dot_k-inl.h"
#include "kernels/dot_q32-inl.h"
#include "kernels/dot_x8-inl.h"
#include "kernels/quantize_act-inl.h"
// clang-format on

#ifndef SHIMMY_KERNELS_MATMUL_JOB_
#define SHIMMY_KERNELS_MATMUL_JOB_
namespace shimmy {
namespace {

// Tokens multiplied per decoded weight block (prefill register tile).
constexpr int64_t kTileTokens = 4;
// Rows per parallel work item: in prefill these rows stay in cache while
// every token tile passes over them.
constexpr int64_t kRowBlock = 16;
static_assert(kRowBlock % 8 == 0, "Q4_K_X8 groups of 8 rows must not straddle work items");

struct MatMulJob {
  DType type;
  const uint8_t* w;
  size_t w_row_bytes;
  int64_t n_cols;
  const uint8_t* act;
  size_t act_row_bytes;
  const float* act_scales;  // ActScaleCount floats per token, see below
  size_t act_scales_stride;
  int64_t n_tokens;
  float* y;
  int64_t y_stride;
};

// Tokens [t0, t0 + n) of a job's activations, n <= kTileTokens: the rows
// and decoded block scales one register tile multiplies.
struct TokenTile {
  int64_t n;
  const uint8_t* acts[kTileTokens];
  const float* scales[kTileTokens];

  TokenTile(const MatMulJob& job, int64_t t0) : n(std::min(kTileTokens, job.n_tokens - t0)) {
    for (int64_t j = 0; j < n; ++j) {
      acts[j] = job.act + static_cast<size_t>(t0 + j) * job.act_row_bytes;
      scales[j] = job.act_scales + static_cast<size_t>(t0 + j) * job.act_scales_stride;
    }
  }
};

// Q8_0 and Q8_1 rows carry F16 block scales (and Q8_1 sums). The kernels
// read them as floats decoded once per token: d of every block, then the
// s of every block (Q8_1), or the sum of every block's quants (Q8_0, for
// the Q8_0_X8 kernel; exact in a float). Other formats need none.
size_t ActScaleCount(DType act_type, int64_t n) {
  switch (act_type) {
    case DType::kQ8_0:
    case DType::kQ8_1:
      return static_cast<size_t>(2 * (n / kQK));
    default:
      return 0;
  }
}

void DecodeActScales(DType act_type, const void* row, int64_t n, float* out) {
  const int64_t nb = n / kQK;
  if (act_type == DType::kQ8_0) {
    const auto* b = static_cast<const BlockQ8_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
      int sum = 0;
      for (int8_t q : b[i].qs) sum += q;
      out[i] = F16ToF32(b[i].d);
      out[nb + i] = static_cast<float>(sum);
    }
  } else if (act_type == DType::kQ8_1) {
    const auto* b = static_cast<const BlockQ8_1*>(row);
    for (int64_t i = 0; i < nb; ++i) {
      out[i] = F16ToF32(b[i].d);
      out[nb + i] = F16ToF32(b[i].s);
    }
  }
}

}  // namespace
}  // namespace shimmy
#endif

HWY_BEFORE_NAMESPACE();
namespace shimmy {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
// One-lane vectors gain nothing over the scalar reference, which is exact.
template <size_t kT>
HWY_NOINLINE void DotRow(DType type, const void* w, const uint8_t* const* acts,
                         const float* const* /*act_scales*/, int64_t n, float* out) {
  for (size_t t = 0; t < kT; ++t) out[t] = VecDotRef(type, w, acts[t], n);
}

HWY_INLINE void QuantizeActRow(DType type, const float* x, void* dst, int64_t n) {
  QuantizeRow(type, x, dst, n);
}
#else
// out[t] = row w . acts[t] for t < kT; act_scales[t] as in ActScaleCount.
template <size_t kT>
HWY_NOINLINE void DotRow(DType type, const void* w, const uint8_t* const* acts,
                         const float* const* act_scales, int64_t n, float* out) {
  const int64_t nb32 = n / kQK;
  const int64_t nbk = n / kQK_K;
  switch (type) {
    case DType::kF32:
      return DotFloatRows<F32Format, kT>(w, acts, n, out);
    case DType::kF16:
      return DotFloatRows<F16Format, kT>(w, acts, n, out);
    case DType::kBF16:
      return DotFloatRows<BF16Format, kT>(w, acts, n, out);
    case DType::kQ4_0:
      return DotQ8_0Rows<BlockQ4_0, kT>(w, acts, act_scales, nb32, out);
    case DType::kQ5_0:
      return DotQ8_0Rows<BlockQ5_0, kT>(w, acts, act_scales, nb32, out);
    case DType::kQ8_0:
      return DotQ8_0Rows<BlockQ8_0, kT>(w, acts, act_scales, nb32, out);
    case DType::kIQ4_NL:
      return DotQ8_0Rows<BlockIQ4_NL, kT>(w, acts, act_scales, nb32, out);
    case DType::kMXFP4:
      return DotQ8_0Rows<BlockMXFP4, kT>(w, acts, act_scales, nb32, out);
    case DType::kQ4_1:
      return DotQ8_1Rows<BlockQ4_1, kT>(w, acts, act_scales, nb32, out);
    case DType::kQ5_1:
      return DotQ8_1Rows<BlockQ5_1, kT>(w, acts, act_scales, nb32, out);
    case DType::kQ2_K:
      return DotQ2_KRows<kT>(w, acts, nbk, out);
    case DType::kQ3_K:
      return DotQ3_KRows<kT>(w, acts, nbk, out);
    case DType::kQ4_K:
      return DotQ45_KRows<false, BlockQ4_K, kT>(w, acts, nbk, out);
    case DType::kQ5_K:
      return DotQ45_KRows<true, BlockQ5_K, kT>(w, acts, nbk, out);
    case DType::kQ6_K:
      return DotQ6_KRows<kT>(w, acts, nbk, out);
    case DType::kIQ4_XS:
      return DotIQ4_XSRows<kT>(w, acts, nbk, out);
    default:
      for (size_t t = 0; t < kT; ++t) out[t] = 0.0f;
      return;
  }
}

#endif  // HWY_TARGET == HWY_SCALAR

float VecDotImpl(DType type, const void* w, const void* act, int64_t n) {
  const uint8_t* acts[1] = {static_cast<const uint8_t*>(act)};
  std::vector<float> scales(ActScaleCount(VecDotType(type), n));
  DecodeActScales(VecDotType(type), act, n, scales.data());
  const float* act_scales[1] = {scales.data()};
  float out;
  DotRow<1>(type, w, acts, act_scales, n, &out);
  return out;
}

void QuantizeActImpl(DType type, const float* x, void* dst, int64_t n) {
  QuantizeActRow(type, x, dst, n);
}

bool HasInterleavedKernelsImpl() {
#if HWY_TARGET != HWY_SCALAR && SHIMMY_X86_VNNI
  return true;
#else
  return false;
#endif
}

// y[t * y_stride + r] = row r of an 8-row group . acts[t] for r < 8; type
// is Q8_0_X8, Q4_K_X8 or Q6_K_X8.
template <size_t kT>
HWY_NOINLINE void DotGroupX8(DType type, const uint8_t* group, const uint8_t* const* acts,
                             const float* const* act_scales, int64_t n, float* y,
                             int64_t y_stride) {
#if HWY_TARGET != HWY_SCALAR && SHIMMY_X86_VNNI
  switch (type) {
    case DType::kQ8_0_X8: {
      const float* sums[kT];
      for (size_t t = 0; t < kT; ++t) sums[t] = act_scales[t] + n / kQK;
      return DotQ8_0X8Rows<kT>(group, acts, act_scales, sums, n / kQK, y, y_stride);
    }
    case DType::kQ4_K_X8:
      return DotQ4_KX8Rows<kT>(group, acts, n / kQK_K, y, y_stride);
    default:
      return DotQ6_KX8Rows<kT>(group, acts, n / kQK_K, y, y_stride);
  }
#else
  // Correct everywhere, fast nowhere: the model does not make these layouts
  // for targets without the kernels above, but the tests run every target.
  const DType plain = PlainTypeOf(type);
  const size_t row_bytes = static_cast<size_t>(*RowBytes(plain, static_cast<uint64_t>(n)));
  thread_local std::vector<uint8_t> rows;
  if (rows.size() < 8 * row_bytes) rows.resize(8 * row_bytes);
  UnpackInterleavedGroup(type, group, rows.data(), n);
  for (int64_t r = 0; r < 8; ++r) {
    float out[kT];
    DotRow<kT>(plain, rows.data() + r * row_bytes, acts, act_scales, n, out);
    for (size_t t = 0; t < kT; ++t) y[static_cast<int64_t>(t) * y_stride + r] = out[t];
  }
#endif
}

// Rows [row_begin, row_end) of a job in an 8-row layout (multiples of 8),
// every token.
void MatMulGroupsX8(const MatMulJob& job, int64_t row_begin, int64_t row_end) {
  assert(row_begin % 8 == 0 && row_end % 8 == 0);
  for (int64_t t0 = 0; t0 < job.n_tokens; t0 += kTileTokens) {
    const TokenTile tile(job, t0);
    const int64_t nt = tile.n;
    const uint8_t* const* acts = tile.acts;
    const float* const* scales = tile.scales;
    for (int64_t r = row_begin; r < row_end; r += 8) {
      const uint8_t* w = job.w + static_cast<size_t>(r) * job.w_row_bytes;
      float* y = job.y + t0 * job.y_stride + r;
      switch (nt) {
        case 1:
          DotGroupX8<1>(job.type, w, acts, scales, job.n_cols, y, job.y_stride);
          break;
        case 2:
          DotGroupX8<2>(job.type, w, acts, scales, job.n_cols, y, job.y_stride);
          break;
        case 3:
          DotGroupX8<3>(job.type, w, acts, scales, job.n_cols, y, job.y_stride);
          break;
        default:
          DotGroupX8<4>(job.type, w, acts, scales, job.n_cols, y, job.y_stride);
          break;
      }
    }
  }
}

// Rows [row_begin, row_end) of the job, every token.
void MatMulRowsImpl(const MatMulJob& job, int64_t row_begin, int64_t row_end) {
  if (IsInterleaved(job.type)) return MatMulGroupsX8(job, row_begin, row_end);
  for (int64_t t0 = 0; t0 < job.n_tokens; t0 += kTileTokens) {
    const TokenTile tile(job, t0);
    const int64_t nt = tile.n;
    const uint8_t* const* acts = tile.acts;
    const float* const* scales = tile.scales;
    float* y = job.y + t0 * job.y_stride;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const uint8_t* w = job.w + static_cast<size_t>(r) * job.w_row_bytes;
      float out[kTileTokens];
      switch (nt) {
        case 1:
          DotRow<1>(job.type, w, acts, scales, job.n_cols, out);
          break;
        case 2:
          DotRow<2>(job.type, w, acts, scales, job.n_cols, out);
          break;
        case 3:
          DotRow<3>(job.type, w, acts, scales, job.n_cols, out);
          break;
        default:
          DotRow<4>(job.type, w, acts, scales, job.n_cols, out);
          break;
      }
      for (int64_t j = 0; j < nt; ++j) y[j * job.y_stride + r] = out[j];
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace shimmy
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shimmy {

HWY_EXPORT(VecDotImpl);
HWY_EXPORT(QuantizeActImpl);
HWY_EXPORT(MatMulRowsImpl);
HWY_EXPORT(HasInterleavedKernelsImpl);

size_t WeightMatrix::row_bytes() const {
  return static_cast<size_t>(RowBytes(type, static_cast<uint64_t>(n_cols)).value_or(0));
}

bool MatMulSupports(DType weight) { return IsWeightType(weight) || IsInterleaved(weight); }

bool MatMulHasInterleavedKernels() { return HWY_DYNAMIC_DISPATCH(HasInterleavedKernelsImpl)(); }

float VecDot(DType weight, const void* w_row, const void* act_row, int64_t n) {
  // Rows of the interleaved layouts exist only in groups of 8.
  assert(!IsInterleaved(weight));
  return HWY_DYNAMIC_DISPATCH(VecDotImpl)(weight, w_row, act_row, n);
}

void QuantizeActivationRow(DType act_type, const float* x, void* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(QuantizeActImpl)(act_type, x, dst, n);
}

void QuantizedActivations::Quantize(DType act_type, const float* x, int64_t n_tokens,
                                    int64_t n_cols, int64_t x_stride, const ParallelFor& par) {
  type_ = act_type;
  n_tokens_ = n_tokens;
  n_cols_ = n_cols;
  row_bytes_ = static_cast<size_t>(RowBytes(act_type, static_cast<uint64_t>(n_cols)).value_or(0));
  assert(row_bytes_ != 0 || n_cols == 0);
  const size_t need = row_bytes_ * static_cast<size_t>(n_tokens);
  if (buffer_.size() < need) buffer_.resize(need);
  scales_stride_ = ActScaleCount(act_type, n_cols);
  if (scales_.size() < scales_stride_ * n_tokens) scales_.resize(scales_stride_ * n_tokens);
  const auto rows = [this, act_type, x, x_stride, n_cols](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      std::byte* row = buffer_.data() + static_cast<size_t>(t) * row_bytes_;
      HWY_DYNAMIC_DISPATCH(QuantizeActImpl)(act_type, x + t * x_stride, row, n_cols);
      DecodeActScales(act_type, row, n_cols,
                      scales_.data() + static_cast<size_t>(t) * scales_stride_);
    }
  };
  // Converting a row costs about as much as a few hundred rows of matvec
  // bookkeeping; only prefill-sized batches are worth spreading out.
  if (n_tokens >= 8) {
    par(n_tokens, rows);
  } else {
    rows(0, n_tokens);
  }
}

namespace {

MatMulJob MakeJob(const WeightMatrix& w, const QuantizedActivations& x, float* y,
                  int64_t y_stride) {
  assert(x.type() == VecDotType(w.type));
  assert(x.n_cols() == w.n_cols);
  return MatMulJob{w.type,
                   static_cast<const uint8_t*>(w.data),
                   w.row_bytes(),
                   w.n_cols,
                   reinterpret_cast<const uint8_t*>(x.row(0)),
                   x.row_bytes(),
                   x.block_scales(0),
                   x.block_scales_stride(),
                   x.n_tokens(),
                   y,
                   y_stride};
}

int64_t RowBlocks(int64_t n_rows) { return (n_rows + kRowBlock - 1) / kRowBlock; }

}  // namespace

void MatMul(const WeightMatrix& w, const QuantizedActivations& x, float* y, int64_t y_stride,
            const ParallelFor& par) {
  const MatMulJob job = MakeJob(w, x, y, y_stride);
  par(RowBlocks(w.n_rows), [&job, n_rows = w.n_rows](int64_t begin, int64_t end) {
    HWY_DYNAMIC_DISPATCH(MatMulRowsImpl)(job, begin * kRowBlock, std::min(end * kRowBlock, n_rows));
  });
}

void MatMulGroup(const MatMulOutput* outputs, size_t n_outputs, const QuantizedActivations& x,
                 const ParallelFor& par) {
  constexpr size_t kMaxOutputs = 4;
  if (n_outputs > kMaxOutputs) {
    for (size_t i = 0; i < n_outputs; i += kMaxOutputs) {
      MatMulGroup(outputs + i, std::min(kMaxOutputs, n_outputs - i), x, par);
    }
    return;
  }
  MatMulJob jobs[kMaxOutputs];
  int64_t first_block[kMaxOutputs + 1] = {0};  // blocks of outputs [0, i) come first
  for (size_t i = 0; i < n_outputs; ++i) {
    const MatMulOutput& o = outputs[i];
    jobs[i] = MakeJob(*o.w, x, o.y, o.y_stride);
    first_block[i + 1] = first_block[i] + RowBlocks(o.w->n_rows);
  }
  par(first_block[n_outputs], [&](int64_t begin, int64_t end) {
    for (size_t i = 0; i < n_outputs; ++i) {
      const int64_t b = std::max(begin, first_block[i]);
      const int64_t e = std::min(end, first_block[i + 1]);
      if (b >= e) continue;
      const int64_t n_rows = outputs[i].w->n_rows;
      HWY_DYNAMIC_DISPATCH(MatMulRowsImpl)(jobs[i], (b - first_block[i]) * kRowBlock,
                                           std::min((e - first_block[i]) * kRowBlock, n_rows));
    }
  });
}

void MatMul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            QuantizedActivations* scratch, const ParallelFor& par) {
  scratch->Quantize(VecDotType(w.type), x, n_tokens, w.n_cols, w.n_cols, par);
  MatMul(w, *scratch, y, w.n_rows, par);
}

}  // namespace shimmy
#endif  // HWY_ONCE
