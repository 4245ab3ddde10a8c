// Subcommands of the shimmy binary. Each Register* adds its subcommand to
// the CLI and, when that subcommand is chosen, sets `runner` to the work.
// Exit codes: 0 ok, 1 usage error, 2 runtime error.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace shimmy::app {

using CommandRunner = std::function<int()>;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitRuntime = 2;

void RegisterVersion(CLI::App& app, CommandRunner& runner);
void RegisterInspect(CLI::App& app, CommandRunner& runner);
void RegisterTokenize(CLI::App& app, CommandRunner& runner);
void RegisterGenerate(CLI::App& app, CommandRunner& runner);  // generate, logits
void RegisterBench(CLI::App& app, CommandRunner& runner);
void RegisterGpuInfo(CLI::App& app, CommandRunner& runner);
void RegisterDiscovery(CLI::App& app, CommandRunner& runner);  // list, discover
void RegisterProbe(CLI::App& app, CommandRunner& runner);
void RegisterChat(CLI::App& app, CommandRunner& runner);
void RegisterTemplate(CLI::App& app, CommandRunner& runner);
void RegisterServe(CLI::App& app, CommandRunner& runner);

}  // namespace shimmy::app
