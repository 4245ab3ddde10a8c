// Runs a test once per Highway target that this CPU supports and the
// kernels were compiled for (scalar fallback, SSSE3, SSE4, AVX2, AVX-512...),
// by restricting Highway's dispatch to that target for the test's duration.
//
//   class MyTest : public testing::PerTargetTest {};
//   TEST_P(MyTest, Works) { ... HWY_DYNAMIC_DISPATCH'ed calls ... }
//   SHIMMY_INSTANTIATE_PER_TARGET(MyTest);
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "hwy/targets.h"

namespace shimmy::testing {

class PerTargetTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override { hwy::SetSupportedTargetsForTest(GetParam()); }
  void TearDown() override { hwy::SetSupportedTargetsForTest(0); }
};

inline std::string TargetTestName(const ::testing::TestParamInfo<int64_t>& info) {
  return hwy::TargetName(info.param);
}

}  // namespace shimmy::testing

#define SHIMMY_INSTANTIATE_PER_TARGET(suite)                                         \
  INSTANTIATE_TEST_SUITE_P(Targets, suite,                                           \
                           ::testing::ValuesIn(hwy::SupportedAndGeneratedTargets()), \
                           ::shimmy::testing::TargetTestName)
