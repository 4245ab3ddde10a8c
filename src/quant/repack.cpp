#include <cstring>

#include "quant/block_types.h"
#include "quant/quant.h"

namespace shimmy {

void RepackQ5_0AsQ8_0(const void* src, void* dst, int64_t n) {
  const auto* in = static_cast<const BlockQ5_0*>(src);
  auto* out = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    uint32_t qh;
    std::memcpy(&qh, in[i].qh, 4);
    BlockQ8_0 b;
    b.d = in[i].d;
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = (in[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
      const int hi = (in[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      b.qs[j] = static_cast<int8_t>(lo - 16);
      b.qs[j + kQK / 2] = static_cast<int8_t>(hi - 16);
    }
    std::memcpy(&out[i], &b, sizeof b);
  }
}

void RepackQ4_KAsX8(const void* src, void* dst, int64_t n_rows, int64_t n_cols) {
  const int64_t nb = n_cols / kQK_K;
  const auto* in = static_cast<const BlockQ4_K*>(src);
  auto* out = static_cast<BlockQ4_KX8*>(dst);
  for (int64_t g = 0; g < n_rows / 8; ++g) {
    for (int64_t i = 0; i < nb; ++i) {
      BlockQ4_KX8 x;
      for (int r = 0; r < 8; ++r) {
        const BlockQ4_K& b = in[(8 * g + r) * nb + i];
        x.d[r] = b.d;
        x.dmin[r] = b.dmin;
        for (int k = 0; k < 12; ++k) x.scales[8 * k + r] = b.scales[k];
        for (int c = 0; c < kQK_K / 8; ++c) std::memcpy(x.qs + 32 * c + 4 * r, b.qs + 4 * c, 4);
      }
      std::memcpy(&out[g * nb + i], &x, sizeof x);
    }
  }
}

void UnpackQ4_KX8Group(const void* group, void* dst, int64_t n_cols) {
  const int64_t nb = n_cols / kQK_K;
  const auto* in = static_cast<const BlockQ4_KX8*>(group);
  auto* out = static_cast<BlockQ4_K*>(dst);
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ4_KX8 x;
    std::memcpy(&x, &in[i], sizeof x);
    for (int r = 0; r < 8; ++r) {
      BlockQ4_K b;
      b.d = x.d[r];
      b.dmin = x.dmin[r];
      for (int k = 0; k < 12; ++k) b.scales[k] = x.scales[8 * k + r];
      for (int c = 0; c < kQK_K / 8; ++c) std::memcpy(b.qs + 4 * c, x.qs + 32 * c + 4 * r, 4);
      std::memcpy(&out[r * nb + i], &b, sizeof b);
    }
  }
}

}  // namespace shimmy
