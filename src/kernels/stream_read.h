// Reading memory as fast as the machine allows, to measure the read
// bandwidth that bounds decode speed: a decode step streams every weight
// once, so bytes of weights per token / read bandwidth is the fastest a
// token can be (`shimmy bench --bandwidth` prints how close decode gets).
//
//   const uint64_t sum = StreamReadChecksum(p, bytes);     // == every byte added up
//   const double bps = MeasureReadBandwidth(p, bytes, par, /*passes=*/5);
//
// The reader keeps several independent vector accumulators so loads are
// never waiting on one add chain, and folds every byte into a checksum so
// the compiler cannot drop the loads. SIMD code is chosen at run time
// (Highway dynamic dispatch), like the matmul kernels.
//
// Thread-safety: both functions only read `p`; any number may run at once
// (though then they measure each other).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/parallel.h"

namespace shimmy {

// The sum of the `bytes` bytes at `p` (any alignment, any length) as
// unsigned values, modulo 2^64.
uint64_t StreamReadChecksum(const std::byte* p, size_t bytes);

// Reads [p, p + bytes) `passes` times, each pass split into contiguous
// ranges of whole 4 KiB pages across `par` (as a decode step splits weight
// rows), and returns the best pass in bytes per second (0 when `bytes` or
// `passes` is 0). `p` should be touched beforehand: page faults are timed.
// Cost: passes * bytes of reads.
double MeasureReadBandwidth(const std::byte* p, size_t bytes, const ParallelFor& par,
                            int passes = 5);

}  // namespace shimmy
