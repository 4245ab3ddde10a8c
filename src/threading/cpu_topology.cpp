#include "threading/cpu_topology.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <utility>

#if defined(__linux__)
#include <sched.h>
#endif

namespace shimmy {
namespace {

// Reads the first line of a small sysfs file; empty when unreadable.
std::string ReadLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
    line.pop_back();
  }
  return line;
}

bool ParseInt(const std::string& text, int* out) {
  if (text.empty()) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

// "cpu12" -> 12; other directory names (cpufreq, cpuidle) -> false.
bool ParseCpuDirName(const std::string& name, int* cpu) {
  if (name.size() <= 3 || name.compare(0, 3, "cpu") != 0) return false;
  return ParseInt(name.substr(3), cpu);
}

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
#endif
  return cpus;
}

}  // namespace

int PhysicalCoreCountFromSysfs(const std::string& sysfs_cpu_root,
                               const std::vector<int>& allowed_cpus) {
  namespace fs = std::filesystem;
  std::vector<int> cpus = allowed_cpus;
  if (cpus.empty()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(sysfs_cpu_root, ec)) {
      int cpu = 0;
      if (ParseCpuDirName(entry.path().filename().string(), &cpu)) cpus.push_back(cpu);
    }
  }

  // A core is identified by (package, core id); where those files are missing
  // (some VMs and ARM kernels), by its sibling list, which names the same set
  // of logical CPUs for every hyper-thread of one core.
  std::set<std::pair<int, int>> by_ids;
  std::set<std::string> by_siblings;
  bool ids_complete = true;
  int n_seen = 0;
  for (int cpu : cpus) {
    const fs::path topo = fs::path(sysfs_cpu_root) / ("cpu" + std::to_string(cpu)) / "topology";
    int package = 0;
    int core = 0;
    const bool have_ids = ParseInt(ReadLine(topo / "physical_package_id"), &package) &&
                          ParseInt(ReadLine(topo / "core_id"), &core);
    const std::string siblings = ReadLine(topo / "thread_siblings_list");
    if (!have_ids && siblings.empty()) continue;  // offline or not a CPU
    ++n_seen;
    if (have_ids) {
      by_ids.insert({package, core});
    } else {
      ids_complete = false;
    }
    if (!siblings.empty()) by_siblings.insert(siblings);
  }
  if (n_seen == 0) return 0;
  if (ids_complete) return static_cast<int>(by_ids.size());
  return static_cast<int>(by_siblings.size());
}

int PhysicalCoreCount() {
  const int n_cores = PhysicalCoreCountFromSysfs("/sys/devices/system/cpu", AllowedCpus());
  if (n_cores > 0) return n_cores;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace shimmy
