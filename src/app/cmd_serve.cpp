// shimmy serve: the HTTP server (src/server). This slice answers /health;
// the OpenAI, Ollama and Anthropic routes come with the rest of issue 6.
//
// Bind: --bind auto (default) tries 127.0.0.1:11435, then the next free
// port up to 11535; --bind ADDR:PORT (or [v6]:PORT) takes exactly that;
// SHIMMY_BIND_ADDRESS when --bind is not given. Prints one line with the
// bound address, serves until SIGINT/SIGTERM, then shuts down gracefully
// (answers in flight get up to 10 s) and exits 0.
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/commands.h"
#include "server/health_route.h"
#include "server/http_server.h"

namespace shimmy::app {
namespace {

constexpr uint16_t kFirstAutoPort = 11435;
constexpr uint16_t kLastAutoPort = 11535;

struct ServeOptions {
  std::string bind;
  std::string model_path;
  bool cpu_moe = false;
  int n_cpu_moe = -1;
};

// "ADDR:PORT" or "[ADDR]:PORT" → address, port.
Result<std::pair<std::string, uint16_t>> ParseBind(const std::string& bind) {
  const size_t colon = bind.rfind(':');
  if (colon == std::string::npos || colon + 1 == bind.size())
    return Error("--bind " + bind + ": expected auto or ADDR:PORT");
  std::string address = bind.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  const std::string port_text = bind.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    return Error("--bind " + bind + ": port must be 0-65535");
  return std::pair{address, static_cast<uint16_t>(port)};
}

Result<std::unique_ptr<server::HttpServer>> Listen(const std::string& bind,
                                                   std::shared_ptr<const server::Router> router) {
  server::ServerOptions options;
  if (bind != "auto") {
    auto parsed = ParseBind(bind);
    if (!parsed) return parsed.error();
    options.address = parsed->first;
    options.port = parsed->second;
    return server::HttpServer::Start(options, router);
  }
  Error last("no port tried");
  for (uint16_t port = kFirstAutoPort; port <= kLastAutoPort; ++port) {
    options.port = port;
    auto server = server::HttpServer::Start(options, router);
    if (server) return server;
    last = server.error();
  }
  return Error(fmt::format("--bind auto: no free port in 127.0.0.1:{}-{} (last: {})",
                           kFirstAutoPort, kLastAutoPort, last.message()));
}

int RunServe(const ServeOptions& opts) {
  std::string bind = opts.bind;
  if (bind.empty()) {
    const char* env = std::getenv("SHIMMY_BIND_ADDRESS");
    bind = env != nullptr && *env != '\0' ? env : "auto";
  }
  if (!opts.model_path.empty() || opts.cpu_moe || opts.n_cpu_moe >= 0) {
    std::fprintf(stderr,
                 "note: --model-path, --cpu-moe and --n-cpu-moe are accepted but not used yet "
                 "(this build serves /health only)\n");
  }

  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto router = std::make_shared<server::Router>();
  server::AddHealthRoute(*router);
  auto server = Listen(bind, router);
  if (!server) {
    std::fprintf(stderr, "error: %s\n", server.error().message().c_str());
    return bind == "auto" || bind.find(':') != std::string::npos ? kExitRuntime : kExitUsage;
  }
  const auto& ep = (*server)->endpoint();
  const std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  std::printf("shimmy %s listening on http://%s:%u\n", SHIMMY_VERSION, host.c_str(),
              static_cast<unsigned>(ep.port()));
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "shimmy: %s, shutting down\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Stop(std::chrono::seconds(10));
  return kExitOk;
}

}  // namespace

void RegisterServe(CLI::App& app, CommandRunner& runner) {
  auto opts = std::make_shared<ServeOptions>();
  auto* cmd =
      app.add_subcommand("serve", "Serve models over HTTP (OpenAI, Ollama, Anthropic APIs)");
  cmd->add_option("--bind", opts->bind,
                  "auto (127.0.0.1:11435, else the next free port up to 11535) or ADDR:PORT "
                  "[env: SHIMMY_BIND_ADDRESS]");
  cmd->add_option("--model-path", opts->model_path, "A GGUF file to serve (not used yet)");
  cmd->add_flag("--cpu-moe", opts->cpu_moe, "Keep MoE expert weights on the CPU (not used yet)");
  cmd->add_option("--n-cpu-moe", opts->n_cpu_moe,
                  "Keep the experts of the first N layers on the CPU (not used yet)");
  cmd->callback([opts, &runner] { runner = [opts] { return RunServe(*opts); }; });
}

}  // namespace shimmy::app
