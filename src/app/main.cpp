// shimmy: serve local LLMs. Entry point: builds the command line and hands
// each subcommand to its own file.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"shimmy: serve local GGUF language models over the OpenAI, Ollama and Anthropic APIs",
               "shimmy"};
  app.require_subcommand(0, 1);
  app.set_version_flag("-V,--version", std::string("shimmy ") + SHIMMY_VERSION);

  shimmy::app::CommandRunner runner;
  shimmy::app::RegisterVersion(app, runner);
  shimmy::app::RegisterInspect(app, runner);
  shimmy::app::RegisterTokenize(app, runner);
  shimmy::app::RegisterGenerate(app, runner);
  shimmy::app::RegisterBench(app, runner);
  shimmy::app::RegisterGpuInfo(app, runner);
  shimmy::app::RegisterDiscovery(app, runner);
  shimmy::app::RegisterProbe(app, runner);
  shimmy::app::RegisterChat(app, runner);
  shimmy::app::RegisterTemplate(app, runner);
  shimmy::app::RegisterServe(app, runner);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version; any other parse error is a
    // usage error (exit code 1 by shimmy's convention).
    return rc == 0 ? 0 : 1;
  }
  if (!runner) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  return runner();
}
