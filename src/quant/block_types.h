// Memory layouts of the GGUF block-quantized types (public facts of the file
// format). A row of n elements of a type is n / block_size consecutive
// blocks; these structs overlay that memory directly (zero copy from a
// mapped file).
//
// The structs are byte-packed so that a block may sit at any address: rows of
// 18-byte Q4_0 blocks, or a test's deliberately misaligned buffer, keep every
// field access well defined. Halves (d, m, ...) are raw F16 bits, see
// tensor/half.h. Sizes are checked against tensor/dtype.cpp's table by the
// static_asserts below.
//
// Value of element i (q = its stored integer):
//   Q4_0   d * (q - 8)                   Q4_1  d * q + m
//   Q5_0   d * (q - 16)                  Q5_1  d * q + m
//   Q8_0   d * q                         IQ4_NL d * kIq4nlValues[q]
//   MXFP4  2^(e - 128) * kMxfp4Values[q] (the table holds twice the FP4 value)
//   K-quants: a 256-element super-block of 16 or 8 sub-blocks, each with its
//   own integer scale (and min) that are multiplied by the super-block's
//   float d (and dmin). Details beside each struct.
#pragma once

#include <bit>
#include <cstdint>

namespace shimmy {

constexpr int kQK = 32;     // elements per block of the 32-element types
constexpr int kQK_K = 256;  // elements per super-block of the K-quants

#pragma pack(push, 1)

// 32 x 4 bits: byte j holds element j (low nibble) and element j + 16 (high).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};

struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};

// As Q4_0 plus a fifth bit per element: bit j of the little-endian qh word is
// bit 4 of element j.
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};

// shimmy's in-memory layout (DType::kQ8_0_X8): one block of 8 consecutive
// Q8_0 rows, interleaved as BlockQ4_KX8 below, with each value stored
// offset to unsigned so that vpdpbusd can take it as its unsigned operand
// (the activation's sum times 128 is subtracted once per block):
//   d[r]                     row r's d
//   qs[32 g + 4 r + j]       row r's qs[4 g + j] + 128 (g < 8, j < 4)
struct BlockQ8_0X8 {
  uint16_t d[8];
  uint8_t qs[8 * kQK];
};

// Activation type for Q4_1/Q5_1: s = d * sum(qs) multiplies the weight's m.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK];
};

// Sub-blocks of 16, 2-bit values. scales[j]: low nibble = scale, high
// nibble = min of sub-block j. Element (half h, column group g in 0..3,
// l in 0..31) sits in qs[32 h + l] at bits 2g..2g+1 and belongs to
// sub-block 8 h + 2 g + l / 16.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};

// Sub-blocks of 16, 3-bit signed values: 2 low bits laid out as Q2_K, the
// third bit in hmask[l] bit 4 h + g; value = low - (bit set ? 0 : 4). Sixteen
// 6-bit scales (stored + 32) packed in 12 bytes, see Q3KScale.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};

// Sub-blocks of 32, 4-bit values. Eight 6-bit scales and mins packed in 12
// bytes (ScaleMinK4). Chunk c of 64 elements: qs[32 c + l] low nibble is
// element 64 c + l (sub-block 2 c), high nibble element 64 c + 32 + l.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};

// shimmy's in-memory layout (DType::kQ4_K_X8): the same super-block of 8
// consecutive Q4_K rows, interleaved so that one 32-byte load holds 4 bytes
// of each row and the scale bytes of all 8 rows sit together:
//   d[r], dmin[r]            row r's d and dmin
//   scales[8 k + r]          row r's scales[k] (k < 12)
//   qs[32 g + 4 r + j]       row r's qs[4 g + j] (g < 32, j < 4)
// A matrix of 8 G rows is G groups; group G holds its rows' super-blocks in
// order, so it occupies exactly the bytes of its 8 Q4_K rows.
struct BlockQ4_KX8 {
  uint16_t d[8];
  uint16_t dmin[8];
  uint8_t scales[8 * 12];
  uint8_t qs[8 * kQK_K / 2];
};

// As Q4_K plus a fifth bit: bit k of qh[l] is bit 4 of element 32 k + l.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};

// Sub-blocks of 16, 6-bit values minus 32, int8 scales. For half h and
// l in 0..31, with ql = ql + 64 h, qh = qh + 32 h:
//   element 128 h + l      : ql[l]      low nibble, qh[l] bits 0-1
//   element 128 h + l + 32 : ql[l + 32] low nibble, qh[l] bits 2-3
//   element 128 h + l + 64 : ql[l]      high nibble, qh[l] bits 4-5
//   element 128 h + l + 96 : ql[l + 32] high nibble, qh[l] bits 6-7
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};

// shimmy's in-memory layout (DType::kQ6_K_X8): 8 Q6_K rows interleaved as
// in BlockQ4_KX8, 4 bytes of each row per 32-byte unit, with the units in
// the order the kernel reads them, so one group streams strictly forward
// (the hardware prefetcher then keeps up without software prefetches; the
// plain ql-then-qh order measured 10-12 GB/s per thread without them):
//   scales[16 m + 2 r + e]   row r's scales[2 m + e] (m < 8, e < 2): the
//                            scales of sub-blocks 2m and 2m+1 of 8 rows
//                            widen to i16 pairs in one instruction
//   d[r]                     row r's d
//   q[96 c + 32 s + 4 r + j] chunk c < 16 (h = c / 8, g = c % 8), row r:
//                            s = 0: ql[4 (16 h + g) + j]       (j < 4)
//                            s = 1: ql[4 (16 h + 8 + g) + j]
//                            s = 2: qh[4 c + j]
// Chunk c holds every bit of values 128 h + 32 k + 4 g + j (k < 4): ql's
// low and high nibbles of both units and qh's four 2-bit fields.
struct BlockQ6_KX8 {
  int8_t scales[8 * kQK_K / 16];
  uint16_t d[8];
  uint8_t q[8 * (kQK_K / 2 + kQK_K / 4)];
};

// Activation type for the K-quants: float scale, and the sum of each run of
// 16 quants (so that weight minimums cost one multiply per sub-block).
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// Q4_0 layout with a non-linear 16-entry codebook.
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[kQK / 2];
};

// IQ4_NL codes in sub-blocks of 32 (each 16 bytes laid out as IQ4_NL) with
// 6-bit scales (stored + 32): low 4 bits in scales_l (nibble ib % 2 of byte
// ib / 2), high 2 bits at bits 2 ib of scales_h.
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kQK_K / 64];
  uint8_t qs[kQK_K / 2];
};

// OCP microscaling FP4 (E2M1) with a shared E8M0 exponent; nibbles as Q4_0.
struct BlockMXFP4 {
  uint8_t e;
  uint8_t qs[kQK / 2];
};

#pragma pack(pop)

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ8_0X8) == 8 * sizeof(BlockQ8_0));
static_assert(sizeof(BlockQ4_KX8) == 8 * sizeof(BlockQ4_K));
static_assert(sizeof(BlockQ6_KX8) == 8 * sizeof(BlockQ6_K));
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136);
static_assert(sizeof(BlockMXFP4) == 17);

// Codebook of IQ4_NL and IQ4_XS.
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// E2M1 values times two (so they are integers): 0, 0.5, 1, 1.5, 2, 3, 4, 6.
inline constexpr int8_t kMxfp4Values[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                            0, -1, -2, -3, -4, -6, -8, -12};

// Scale and min of sub-block j (0..7) of Q4_K/Q5_K: j < 4 keep 6 bits in
// bytes j and j + 4; j >= 4 keep their low 4 bits in byte j + 4 and their top
// 2 bits in the spare top bits of bytes j - 4 (scale) and j (min).
inline void ScaleMinK4(const uint8_t* scales, int j, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = scales[j] & 63;
    *min = scales[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
  }
}

// Signed scale of Q3_K sub-block j (0..15): low 4 bits in the nibble j / 8
// of byte j % 8, high 2 bits at bits 2 (j / 4) of byte 8 + j % 4.
inline int Q3KScale(const uint8_t* scales, int j) {
  const int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
  const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// MXFP4's shared exponent, halved because kMxfp4Values are doubled. Exact for
// every e, including the float subnormals at e = 0 and 1.
inline float Mxfp4Scale(uint8_t e) {
  const uint32_t bits = e < 2 ? 0x00200000u << e : static_cast<uint32_t>(e - 1) << 23;
  return std::bit_cast<float>(bits);
}

}  // namespace shimmy
