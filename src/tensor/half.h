// IEEE binary16 (F16) and bfloat16 (BF16) <-> float32, in portable scalar
// code (the SIMD kernels convert whole vectors themselves).
//
// Float -> half rounds to nearest, ties to even, which is what the x86 F16C
// instruction and llama.cpp do; overflow gives infinity, NaN stays NaN.
// Float -> bfloat16 also rounds to nearest even; NaNs are kept quiet.
// Halves are passed around as their raw bits (uint16_t) so that block
// structs stay plain data.
#pragma once

#include <bit>
#include <cstdint>

namespace shimmy {

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t magnitude = h & 0x7fffu;
  if (magnitude >= 0x7c00u) {  // infinity or NaN: keep the payload
    return std::bit_cast<float>(sign | 0x7f800000u | ((magnitude & 0x3ffu) << 13));
  }
  if (magnitude < 0x0400u) {  // zero or subnormal: magnitude units of 2^-24
    const float f = static_cast<float>(magnitude) * (1.0f / 16777216.0f);
    return sign != 0 ? -f : f;
  }
  // Normal: move the exponent from bias 15 to bias 127.
  return std::bit_cast<float>(sign | ((magnitude << 13) + 0x38000000u));
}

inline uint16_t F32ToF16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {  // infinity or NaN (forced quiet)
    const uint16_t nan = magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0;
    return sign | 0x7c00u | nan;
  }
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to infinity
  if (magnitude < 0x38800000u) {
    // Below the smallest normal half (2^-14). Adding 0.5 puts the value where
    // a float ulp is 2^-24, the half subnormal step, so the FPU's own
    // round-to-nearest-even does the rounding.
    const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
    return sign | static_cast<uint16_t>(std::bit_cast<uint32_t>(shifted) - 0x3f000000u);
  }
  // Normal: rebias the exponent (-112 << 23) and round the 13 dropped bits to
  // nearest even; a mantissa carry correctly bumps the exponent.
  const uint32_t odd = (magnitude >> 13) & 1u;
  magnitude += 0xc8000fffu + odd;
  return sign | static_cast<uint16_t>(magnitude >> 13);
}

inline float Bf16ToF32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t F32ToBf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace shimmy
