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

}  // namespace shimmy
