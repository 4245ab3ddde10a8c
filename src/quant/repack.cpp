#include <cassert>
#include <cstring>

#include "quant/block_types.h"
#include "quant/quant.h"

namespace shimmy {

namespace {

// kFifthBits[b][k]: bit k of b moved to bit 4, the fifth bit of Q5_0
// value k of that qh byte's 8.
struct FifthBits {
  uint8_t bits[256][8];
};
constexpr FifthBits MakeFifthBits() {
  FifthBits table{};
  for (int b = 0; b < 256; ++b) {
    for (int k = 0; k < 8; ++k) table.bits[b][k] = static_cast<uint8_t>(((b >> k) & 1) << 4);
  }
  return table;
}
constexpr FifthBits kFifthBits = MakeFifthBits();

// Values 4g..4g+3 of a Q5_0 block (q in 0..31), each plus 112, as the
// bytes of one 32-bit word: 4 nibbles (the low ones of qs[4g..] for g < 4,
// the high ones of qs[4(g - 4)..] after), 4 fifth bits from the table, one
// add with no carries between bytes (q + 112 < 256). q + 112 is the Q8_0
// value q - 16 plus 128, the Q8_0_X8 form; XOR 0x80 per byte gives q - 16.
// The bit-by-bit form was the largest part of a Qwen2.5-0.5B Q4_K_M load
// (half its bytes Q5_0) after page zeroing.
uint32_t Q5_0Word(const BlockQ5_0& b, int g) {
  uint32_t qs, fifth;
  std::memcpy(&qs, b.qs + 4 * (g % 4), 4);
  std::memcpy(&fifth, kFifthBits.bits[b.qh[g / 2]] + 4 * (g % 2), 4);
  const uint32_t nibbles = (g < 4 ? qs : qs >> 4) & 0x0F0F0F0Fu;
  return (nibbles | fifth) + 0x70707070u;
}

}  // namespace

void RepackQ5_0AsQ8_0(const void* src, void* dst, int64_t n) {
  const auto* in = static_cast<const BlockQ5_0*>(src);
  auto* out = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    BlockQ8_0 b;
    b.d = in[i].d;
    for (int g = 0; g < kQK / 4; ++g) {
      const uint32_t word = Q5_0Word(in[i], g) ^ 0x80808080u;
      std::memcpy(b.qs + 4 * g, &word, 4);
    }
    std::memcpy(&out[i], &b, sizeof b);
  }
}

namespace {

// The 4-byte groups of row r's array (bytes 4g..4g+3) go to 32 g + 4 r of
// the interleaved array, and back.
void Interleave4(const uint8_t* row, uint8_t* x8, int r, int n_groups) {
  for (int g = 0; g < n_groups; ++g) std::memcpy(x8 + 32 * g + 4 * r, row + 4 * g, 4);
}
void Deinterleave4(const uint8_t* x8, uint8_t* row, int r, int n_groups) {
  for (int g = 0; g < n_groups; ++g) std::memcpy(row + 4 * g, x8 + 32 * g + 4 * r, 4);
}

// Rewrites every group of 8 rows, block by block (kElems elements per
// block), with `pack(rows of this block, out)`.
template <class Plain, class X8, int64_t kElems = kQK_K, class Pack>
void RepackRows(const void* src, void* dst, int64_t n_rows, int64_t n_cols, Pack pack) {
  const int64_t nb = n_cols / kElems;
  const auto* in = static_cast<const Plain*>(src);
  auto* out = static_cast<X8*>(dst);
  for (int64_t g = 0; g < n_rows / 8; ++g) {
    for (int64_t i = 0; i < nb; ++i) {
      Plain rows[8];
      for (int r = 0; r < 8; ++r) std::memcpy(&rows[r], &in[(8 * g + r) * nb + i], sizeof(Plain));
      X8 x;
      pack(rows, x);
      std::memcpy(&out[g * nb + i], &x, sizeof x);
    }
  }
}

// The inverse of RepackRows for one group, with `unpack(x, rows)`.
template <class Plain, class X8, int64_t kElems = kQK_K, class Unpack>
void UnpackGroup(const void* group, void* dst, int64_t n_cols, Unpack unpack) {
  const int64_t nb = n_cols / kElems;
  const auto* in = static_cast<const X8*>(group);
  auto* out = static_cast<Plain*>(dst);
  for (int64_t i = 0; i < nb; ++i) {
    X8 x;
    std::memcpy(&x, &in[i], sizeof x);
    Plain rows[8];
    unpack(x, rows);
    for (int r = 0; r < 8; ++r) std::memcpy(&out[r * nb + i], &rows[r], sizeof(Plain));
  }
}

// Row r of one group, block by block through `unpack(x, rows)`.
template <class Plain, class X8, int64_t kElems = kQK_K, class Unpack>
void DequantizeGroupRow(DType plain, const void* group, int r, float* dst, int64_t n_cols,
                        Unpack unpack) {
  const auto* in = static_cast<const X8*>(group);
  for (int64_t i = 0; i < n_cols / kElems; ++i) {
    X8 x;
    std::memcpy(&x, &in[i], sizeof x);
    Plain rows[8];
    unpack(x, rows);
    DequantizeRow(plain, &rows[r], dst + i * kElems, kElems);
  }
}

// One block of 8 rows into and out of each layout (block_types.h).
void PackQ8_0(const BlockQ8_0* rows, BlockQ8_0X8& x) {
  for (int r = 0; r < 8; ++r) {
    x.d[r] = rows[r].d;
    uint8_t offset[kQK];
    for (int j = 0; j < kQK; ++j) offset[j] = static_cast<uint8_t>(rows[r].qs[j] + 128);
    Interleave4(offset, x.qs, r, kQK / 4);
  }
}
void UnpackQ8_0(const BlockQ8_0X8& x, BlockQ8_0* rows) {
  for (int r = 0; r < 8; ++r) {
    rows[r].d = x.d[r];
    uint8_t offset[kQK];
    Deinterleave4(x.qs, offset, r, kQK / 4);
    for (int j = 0; j < kQK; ++j) rows[r].qs[j] = static_cast<int8_t>(offset[j] - 128);
  }
}

// Q5_0 rows straight into the Q8_0_X8 layout (values plus 128).
void PackQ5_0(const BlockQ5_0* rows, BlockQ8_0X8& x) {
  for (int r = 0; r < 8; ++r) {
    x.d[r] = rows[r].d;
    for (int g = 0; g < kQK / 4; ++g) {
      const uint32_t word = Q5_0Word(rows[r], g);
      std::memcpy(x.qs + 32 * g + 4 * r, &word, 4);
    }
  }
}
void PackQ4_K(const BlockQ4_K* rows, BlockQ4_KX8& x) {
  for (int r = 0; r < 8; ++r) {
    x.d[r] = rows[r].d;
    x.dmin[r] = rows[r].dmin;
    for (int k = 0; k < 12; ++k) x.scales[8 * k + r] = rows[r].scales[k];
    Interleave4(rows[r].qs, x.qs, r, kQK_K / 8);
  }
}
void UnpackQ4_K(const BlockQ4_KX8& x, BlockQ4_K* rows) {
  for (int r = 0; r < 8; ++r) {
    rows[r].d = x.d[r];
    rows[r].dmin = x.dmin[r];
    for (int k = 0; k < 12; ++k) rows[r].scales[k] = x.scales[8 * k + r];
    Deinterleave4(x.qs, rows[r].qs, r, kQK_K / 8);
  }
}
// Calls copy(offset in BlockQ6_KX8::q of row 0's 4 bytes, true for qh,
// offset in the row's ql or qh) for each 4 bytes of a Q6_K row
// (block_types.h); row r's bytes sit 4 r further on.
template <class Copy>
void ForEachQ6_KX8Group(Copy copy) {
  for (int c = 0; c < 16; ++c) {
    const int h = c / 8, g = c % 8;
    copy(96 * c, false, 4 * (16 * h + g));
    copy(96 * c + 32, false, 4 * (16 * h + 8 + g));
    copy(96 * c + 64, true, 4 * c);
  }
}
void PackQ6_K(const BlockQ6_K* rows, BlockQ6_KX8& x) {
  for (int r = 0; r < 8; ++r) {
    x.d[r] = rows[r].d;
    for (int k = 0; k < 16; ++k) x.scales[16 * (k / 2) + 2 * r + k % 2] = rows[r].scales[k];
    ForEachQ6_KX8Group([&](int at, bool high, int from) {
      std::memcpy(x.q + at + 4 * r, (high ? rows[r].qh : rows[r].ql) + from, 4);
    });
  }
}
void UnpackQ6_K(const BlockQ6_KX8& x, BlockQ6_K* rows) {
  for (int r = 0; r < 8; ++r) {
    rows[r].d = x.d[r];
    for (int k = 0; k < 16; ++k) rows[r].scales[k] = x.scales[16 * (k / 2) + 2 * r + k % 2];
    ForEachQ6_KX8Group([&](int at, bool high, int from) {
      std::memcpy((high ? rows[r].qh : rows[r].ql) + from, x.q + at + 4 * r, 4);
    });
  }
}

}  // namespace

void RepackQ8_0AsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols) {
  RepackRows<BlockQ8_0, BlockQ8_0X8, kQK>(src, dst, n_rows, n_cols, PackQ8_0);
}

void RepackQ5_0AsQ8_0X8(const void* src, void* dst, int64_t n_rows, int64_t n_cols) {
  RepackRows<BlockQ5_0, BlockQ8_0X8, kQK>(src, dst, n_rows, n_cols, PackQ5_0);
}

void UnpackQ8_0X8Group(const void* group, void* dst, int64_t n_cols) {
  UnpackGroup<BlockQ8_0, BlockQ8_0X8, kQK>(group, dst, n_cols, UnpackQ8_0);
}

void RepackQ4_KAsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols) {
  RepackRows<BlockQ4_K, BlockQ4_KX8>(src, dst, n_rows, n_cols, PackQ4_K);
}

void UnpackQ4_KX8Group(const void* group, void* dst, int64_t n_cols) {
  UnpackGroup<BlockQ4_K, BlockQ4_KX8>(group, dst, n_cols, UnpackQ4_K);
}

void RepackQ6_KAsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols) {
  RepackRows<BlockQ6_K, BlockQ6_KX8>(src, dst, n_rows, n_cols, PackQ6_K);
}

void UnpackQ6_KX8Group(const void* group, void* dst, int64_t n_cols) {
  UnpackGroup<BlockQ6_K, BlockQ6_KX8>(group, dst, n_cols, UnpackQ6_K);
}

bool IsInterleaved(DType type) {
  return type == DType::kQ8_0_X8 || type == DType::kQ4_K_X8 || type == DType::kQ6_K_X8;
}

DType PlainTypeOf(DType interleaved) {
  switch (interleaved) {
    case DType::kQ8_0_X8:
      return DType::kQ8_0;
    case DType::kQ4_K_X8:
      return DType::kQ4_K;
    default:
      assert(interleaved == DType::kQ6_K_X8);
      return DType::kQ6_K;
  }
}

void UnpackInterleavedGroup(DType type, const void* group, void* dst, int64_t n_cols) {
  switch (type) {
    case DType::kQ8_0_X8:
      return UnpackQ8_0X8Group(group, dst, n_cols);
    case DType::kQ4_K_X8:
      return UnpackQ4_KX8Group(group, dst, n_cols);
    default:
      assert(type == DType::kQ6_K_X8);
      return UnpackQ6_KX8Group(group, dst, n_cols);
  }
}

void DequantizeInterleavedRow(DType type, const void* group, int r, float* dst, int64_t n_cols) {
  assert(r >= 0 && r < 8);
  const DType plain = PlainTypeOf(type);
  switch (type) {
    case DType::kQ8_0_X8:
      return DequantizeGroupRow<BlockQ8_0, BlockQ8_0X8, kQK>(plain, group, r, dst, n_cols,
                                                             UnpackQ8_0);
    case DType::kQ4_K_X8:
      return DequantizeGroupRow<BlockQ4_K, BlockQ4_KX8>(plain, group, r, dst, n_cols, UnpackQ4_K);
    default:
      return DequantizeGroupRow<BlockQ6_K, BlockQ6_KX8>(plain, group, r, dst, n_cols, UnpackQ6_K);
  }
}

}  // namespace shimmy
