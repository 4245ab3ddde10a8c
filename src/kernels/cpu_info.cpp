#include "kernels/cpu_info.h"

#include <hwy/highway.h>
#include <hwy/targets.h>

namespace shimmy {

std::string SimdTargetName() {
  // Best first; the dispatcher takes the first one.
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  return targets.empty() ? "SCALAR" : hwy::TargetName(targets.front());
}

std::vector<std::string> CompiledSimdTargets() {
  std::vector<std::string> names;
  for (int64_t bit = 1; bit > 0; bit <<= 1) {
    if (HWY_TARGETS & bit) names.push_back(hwy::TargetName(bit));
  }
  return names;
}

}  // namespace shimmy
