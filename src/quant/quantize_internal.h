// Helpers shared by the quantizer files; not part of the public API.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/dtype.h"

namespace shimmy {

// Round to nearest, ties to even (the default FP environment), like the
// SIMD conversions the kernels use.
inline int RoundToInt(float x) { return static_cast<int>(std::lrintf(x)); }

// The element of largest magnitude, with its sign (the first one on ties).
float SignedMaxAbs(const float* x, int n);

// Index of the IQ4_NL codebook value nearest to v.
int NearestIq4Code(float v);

// Chooses a scale d and codes so that d * kIq4nlValues[codes[j]] ~ x[j];
// returns d.
float FitIq4Codes(const float* x, int n, uint8_t* codes);

// Q2_K..Q6_K and IQ4_XS; `nb` super-blocks.
void QuantizeKRow(DType type, const float* src, void* dst, int64_t nb);

}  // namespace shimmy
