#include "threading/cpu_topology.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace shimmy {
namespace {

namespace fs = std::filesystem;

// A fake /sys/devices/system/cpu tree in a temporary directory.
class FakeSysfs {
 public:
  FakeSysfs() {
    root_ = fs::temp_directory_path() /
            ("shimmy_topology_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(root_);
    fs::create_directories(root_ / "cpufreq");  // not a CPU: must be ignored
  }
  ~FakeSysfs() { fs::remove_all(root_); }

  void AddCpu(int cpu, int package, int core, const std::string& siblings) {
    const fs::path topo = root_ / ("cpu" + std::to_string(cpu)) / "topology";
    fs::create_directories(topo);
    if (package >= 0) std::ofstream(topo / "physical_package_id") << package << "\n";
    if (core >= 0) std::ofstream(topo / "core_id") << core << "\n";
    if (!siblings.empty()) std::ofstream(topo / "thread_siblings_list") << siblings << "\n";
  }

  std::string root() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

TEST(CpuTopology, HyperThreadsCountOnce) {
  FakeSysfs sys;
  // 2 packages x 2 cores x 2 threads; core ids repeat across packages.
  sys.AddCpu(0, 0, 0, "0,4");
  sys.AddCpu(1, 0, 1, "1,5");
  sys.AddCpu(2, 1, 0, "2,6");
  sys.AddCpu(3, 1, 1, "3,7");
  sys.AddCpu(4, 0, 0, "0,4");
  sys.AddCpu(5, 0, 1, "1,5");
  sys.AddCpu(6, 1, 0, "2,6");
  sys.AddCpu(7, 1, 1, "3,7");
  EXPECT_EQ(PhysicalCoreCountFromSysfs(sys.root(), {}), 4);
}

TEST(CpuTopology, AffinityMaskRestrictsTheCount) {
  FakeSysfs sys;
  sys.AddCpu(0, 0, 0, "0-1");
  sys.AddCpu(1, 0, 0, "0-1");
  sys.AddCpu(2, 0, 1, "2-3");
  sys.AddCpu(3, 0, 1, "2-3");
  EXPECT_EQ(PhysicalCoreCountFromSysfs(sys.root(), {0, 1}), 1);
  EXPECT_EQ(PhysicalCoreCountFromSysfs(sys.root(), {1, 2}), 2);
}

TEST(CpuTopology, FallsBackToSiblingListsWithoutIds) {
  FakeSysfs sys;
  sys.AddCpu(0, -1, -1, "0-1");
  sys.AddCpu(1, -1, -1, "0-1");
  sys.AddCpu(2, -1, -1, "2-3");
  sys.AddCpu(3, -1, -1, "2-3");
  sys.AddCpu(4, -1, -1, "4");
  EXPECT_EQ(PhysicalCoreCountFromSysfs(sys.root(), {}), 3);
}

TEST(CpuTopology, UnreadableTreeGivesZero) {
  EXPECT_EQ(PhysicalCoreCountFromSysfs("/nonexistent/shimmy/cpu", {}), 0);
  EXPECT_EQ(PhysicalCoreCountFromSysfs("/nonexistent/shimmy/cpu", {0, 1}), 0);
}

TEST(CpuTopology, RealMachineHasAtLeastOneCore) {
  const int n_cores = PhysicalCoreCount();
  EXPECT_GE(n_cores, 1);
  EXPECT_LE(n_cores, 4096);
}

}  // namespace
}  // namespace shimmy
