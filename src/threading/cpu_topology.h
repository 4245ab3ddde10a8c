// How many threads compute kernels should use by default.
//
// Compute-bound kernels gain little from SMT siblings (two hyper-threads share
// one core's FMA units) and lose to the extra synchronisation, so the default
// pool size is the number of PHYSICAL cores this process may run on.
//
// Thread-safety: pure functions over sysfs; safe from any thread.
// Cost: reads a few small sysfs files per CPU; call once at start-up.
#pragma once

#include <string>
#include <vector>

namespace shimmy {

// Physical cores available to this process: distinct (package, core) pairs
// among the CPUs in the affinity mask, read from
// <sysfs_cpu_root>/cpuN/topology/{physical_package_id,core_id}. Falls back to
// thread_siblings_list when the ids are missing, and to
// std::thread::hardware_concurrency() (at least 1) when sysfs is unreadable.
int PhysicalCoreCount();

// The same, with an explicit sysfs root and CPU list so tests can use a fake
// tree. `allowed_cpus` lists logical CPU numbers; empty means "every cpuN
// directory under the root". Returns 0 when nothing usable was found.
int PhysicalCoreCountFromSysfs(const std::string& sysfs_cpu_root,
                               const std::vector<int>& allowed_cpus);

}  // namespace shimmy
