// shimmy gpu-info: the compute backends this binary has and what they see.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "kernels/cpu_info.h"
#include "threading/cpu_topology.h"

namespace shimmy::app {

void RegisterGpuInfo(CLI::App& app, CommandRunner& runner) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("gpu-info", "Show the compute backends and devices found");
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([json, &runner] {
    runner = [json] {
      const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
      const uint64_t mem = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * page : 0;
      const nlohmann::json cpu = {
          {"backend", "cpu"},
          {"simd_target", SimdTargetName()},
          {"simd_targets_compiled", CompiledSimdTargets()},
          {"physical_cores", PhysicalCoreCount()},
          {"logical_cpus", std::thread::hardware_concurrency()},
          {"memory_bytes", mem},
      };
      const nlohmann::json j = {{"backends", nlohmann::json::array({cpu})}, {"cuda", nullptr}};
      if (*json) {
        std::puts(j.dump(2).c_str());
      } else {
        fmt::print("cpu:  SIMD target {} (compiled: {}), {} physical cores, {} logical CPUs, {:.1f} GiB memory\n",
                   cpu["simd_target"].get<std::string>(), fmt::join(CompiledSimdTargets(), ", "),
                   PhysicalCoreCount(), std::thread::hardware_concurrency(),
                   static_cast<double>(mem) / (1ull << 30));
        fmt::print("cuda: not built into this binary\n");
      }
      return kExitOk;
    };
  });
}

}  // namespace shimmy::app
