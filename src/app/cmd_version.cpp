#include <cstdio>

#include "app/commands.h"

namespace shimmy::app {

void RegisterVersion(CLI::App& app, CommandRunner& runner) {
  auto* cmd = app.add_subcommand("version", "Print the version");
  cmd->callback([&runner] {
    runner = [] {
      std::printf("shimmy %s\n", SHIMMY_VERSION);
      return kExitOk;
    };
  });
}

}  // namespace shimmy::app
