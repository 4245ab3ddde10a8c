#include "app/commands.h"

namespace shimmy::app {

void RegisterBench(CLI::App& app, CommandRunner& runner) {
  (void)app;
  (void)runner;
}

}  // namespace shimmy::app
