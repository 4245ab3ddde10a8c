// Which SIMD code the run-time dispatcher uses on this CPU.
#pragma once

#include <string>
#include <vector>

namespace shimmy {

// The best compiled target this CPU supports, e.g. "AVX2" ("SCALAR"/"EMU128"
// on CPUs below every compiled SIMD target).
std::string SimdTargetName();
// Every target compiled into the binary, best first.
std::vector<std::string> CompiledSimdTargets();

}  // namespace shimmy
