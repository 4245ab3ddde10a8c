// shimmy serve: discovery builds the registry, a ModelPool keeps models
// resident (loading lazily on first request), a CompletionService runs the
// requests, and the HTTP server routes the OpenAI, Ollama and Anthropic
// dialects, /health and /metrics to it.
//
// Bind: --bind auto (default) tries 127.0.0.1:11435, then the next free
// port up to 11535; --bind ADDR:PORT (or [v6]:PORT) takes exactly that;
// SHIMMY_BIND_ADDRESS when --bind is not given. Prints one line with the
// bound address, serves until SIGINT/SIGTERM, then shuts down gracefully
// (answers in flight get up to 10 s) and exits 0.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "app/commands.h"
#include "app/kv_cache_flags.h"
#include "app/model_arg.h"
#include "discovery/classify.h"
#include "discovery/naming.h"
#include "runtime/keep_alive.h"
#include "runtime/model_pool.h"
#include "server/api_anthropic.h"
#include "server/api_ollama.h"
#include "server/api_openai.h"
#include "server/completion_service.h"
#include "server/engine_metrics.h"
#include "server/health_route.h"
#include "server/http_server.h"
#include "server/metrics_route.h"
#include "server/security.h"
#include "server/web_ui.h"
#include "server/ws_generate.h"

namespace shimmy::app {
namespace {

constexpr uint16_t kFirstAutoPort = 11435;
constexpr uint16_t kLastAutoPort = 11535;

struct ServeOptions {
  std::string bind;
  std::string model_path;
  std::vector<std::string> model_dirs;
  bool cpu_moe = false;
  int n_cpu_moe = -1;
  int parallel = 4;
  int max_loaded = 3;
  int max_queue = 64;
  int ctx = 0;
  int threads = 0;
  KvCacheFlags kv;
  std::string keep_alive;
  std::string api_key;
  std::vector<std::string> cors_origins;
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
                                                   server::ServerOptions options,
                                                   std::shared_ptr<const server::Router> router,
                                                   bool cors_default) {
  if (bind != "auto") {
    auto parsed = ParseBind(bind);
    if (!parsed) return parsed.error();
    options.address = parsed->first;
    options.port = parsed->second;
    if (cors_default) options.cors_origins = server::DefaultCorsOrigins(options.address);
    return server::HttpServer::Start(options, router);
  }
  if (cors_default) options.cors_origins = server::DefaultCorsOrigins(options.address);
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

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// --model-path FILE: that file joins the registry under its file stem
// (ahead of a discovered model of the same name).
Result<std::shared_ptr<discovery::Registry>> BuildRegistry(const ServeOptions& opts,
                                                           std::vector<std::string>* places) {
  std::error_code ec;
  if (!opts.model_path.empty() && !std::filesystem::is_regular_file(opts.model_path, ec)) {
    return Error("--model-path " + opts.model_path + ": no such file");
  }
  const std::string model_path =
      opts.model_path.empty() ? std::string() : std::filesystem::absolute(opts.model_path).string();
  DiscoveredModels found = DiscoverModels(
      opts.model_dirs, false,
      model_path.empty() ? std::vector<std::string>{} : std::vector<std::string>{model_path});
  for (const auto& place : found.places) {
    if (place.status == discovery::PlaceStatus::kFound) {
      places->push_back(fmt::format("{} ({} models)", place.path, place.n_models));
    }
  }
  if (model_path.empty()) {
    return std::make_shared<discovery::Registry>(std::move(found.registry));
  }
  discovery::ModelEntry entry;
  entry.path = model_path;
  entry.shard_paths = {entry.path};
  entry.facts = std::move(found.extra_facts.at(0));
  if (entry.facts.kind == discovery::ModelKind::kNotAModel) {
    return Error("--model-path " + opts.model_path + ": " + entry.facts.problem);
  }
  entry.name = discovery::SanitizeName(
      discovery::ToLower(std::filesystem::path(opts.model_path).stem().string()));
  entry.size_bytes = std::filesystem::file_size(entry.path, ec);
  entry.place = std::filesystem::path(entry.path).parent_path().string();
  std::vector<discovery::ModelEntry> models = {entry};
  for (const auto& m : found.registry.models()) {
    if (m.name != entry.name) models.push_back(m);
  }
  places->push_back(entry.path + " (--model-path, as " + entry.name + ")");
  return std::make_shared<discovery::Registry>(std::move(models));
}

int RunServe(const ServeOptions& opts) {
  const std::string bind = opts.bind.empty() ? EnvOr("SHIMMY_BIND_ADDRESS", "auto") : opts.bind;
  if (opts.cpu_moe || opts.n_cpu_moe >= 0) {
    std::fprintf(stderr,
                 "note: --cpu-moe/--n-cpu-moe change nothing in this CPU-only build "
                 "(every weight is already on the CPU)\n");
  }
  runtime::PoolOptions pool_options;
  pool_options.n_parallel = std::max(opts.parallel, 1);
  pool_options.max_loaded = std::max(opts.max_loaded, 0);
  pool_options.max_queued = std::max(opts.max_queue, 0);
  pool_options.n_ctx = opts.ctx;
  pool_options.n_threads = opts.threads;
  pool_options.cache_type_k = opts.kv.k_type();
  pool_options.cache_type_v = opts.kv.v_type();
  if (const std::string ka = opts.keep_alive.empty() ? EnvOr("SHIMMY_KEEP_ALIVE", "")
                                                     : opts.keep_alive;
      !ka.empty()) {
    auto parsed = runtime::ParseKeepAliveText(ka);
    if (!parsed) {
      std::fprintf(stderr, "error: keep-alive %s: %s\n", ka.c_str(),
                   parsed.error().message().c_str());
      return kExitUsage;
    }
    pool_options.default_keep_alive = *parsed;
  }
  pool_options.on_event = [](std::string_view event, const std::string& model, double ms) {
    if (event == "loaded") {
      std::fprintf(stderr, "shimmy: loaded %s in %.0f ms\n", model.c_str(), ms);
    } else {
      std::fprintf(stderr, "shimmy: %.*s %s\n", static_cast<int>(event.size()), event.data(),
                   model.c_str());
    }
  };

  std::vector<std::string> places;
  auto registry = BuildRegistry(opts, &places);
  if (!registry) {
    std::fprintf(stderr, "error: %s\n", registry.error().message().c_str());
    return kExitUsage;
  }
  const size_t n_models = (*registry)->models().size();

  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto pool = std::make_unique<runtime::ModelPool>(*registry, pool_options);
  auto service = std::make_unique<server::CompletionService>(*pool);
  auto metrics = std::make_shared<server::ServerMetrics>();
  auto router = std::make_shared<server::Router>();
  server::AddHealthRoute(*router);
  server::AddOpenAiRoutes(*router, *service);
  server::AddOllamaRoutes(*router, *service, SHIMMY_VERSION);
  server::AddAnthropicRoutes(*router, *service);
  server::AddWebUiRoute(*router);
  server::AddWebSocketGenerate(*router, *service);
  const runtime::ModelPool* pool_ptr = pool.get();
  server::AddMetricsRoute(*router, [metrics, pool_ptr](server::PrometheusWriter& w) {
    metrics->Collect(w);
    server::CollectEngineMetrics(*pool_ptr, w);
  });

  server::ServerOptions options;
  options.metrics = metrics;
  options.api_key = opts.api_key.empty() ? EnvOr("SHIMMY_API_KEY", "") : opts.api_key;
  options.cors_origins = opts.cors_origins;
  auto server = Listen(bind, options, router, opts.cors_origins.empty());
  if (!server) {
    std::fprintf(stderr, "error: %s\n", server.error().message().c_str());
    return bind == "auto" || bind.find(':') != std::string::npos ? kExitRuntime : kExitUsage;
  }
  const auto& ep = (*server)->endpoint();
  const std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  // The first line is the address (scripts read it); the banner follows on stderr.
  std::printf("shimmy %s listening on http://%s:%u\n", SHIMMY_VERSION, host.c_str(),
              static_cast<unsigned>(ep.port()));
  std::fflush(stdout);
  std::fprintf(
      stderr, "shimmy: backend cpu (%d threads per model, %d parallel sequences, KV cache %s/%s)\n",
      opts.threads > 0 ? opts.threads : static_cast<int>(std::thread::hardware_concurrency()),
      pool_options.n_parallel, std::string(Name(pool_options.cache_type_k)).c_str(),
      std::string(Name(pool_options.cache_type_v)).c_str());
  if (n_models == 0) {
    std::fprintf(stderr,
                 "shimmy: no models found. Looked in: %s\n"
                 "shimmy: add one with --model-path FILE.gguf, or put GGUF files in ~/models "
                 "(or set SHIMMY_MODEL_PATHS); `shimmy discover` lists every place searched\n",
                 places.empty() ? "(nowhere)" : fmt::format("{}", fmt::join(places, ", ")).c_str());
  } else {
    std::fprintf(stderr, "shimmy: %zu models available from %s\n", n_models,
                 fmt::format("{}", fmt::join(places, ", ")).c_str());
  }
  if (!options.api_key.empty()) std::fprintf(stderr, "shimmy: API key required\n");

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "shimmy: %s, shutting down\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->Stop(std::chrono::seconds(10));
  // Requests cut off by Stop still run their engines' last callbacks, which
  // touch the server's sessions: let them end while the server exists.
  pool->WaitForLeases(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  service.reset();
  pool.reset();
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
  cmd->add_option("--model-path", opts->model_path,
                  "A GGUF file to serve, registered under its file name without .gguf");
  cmd->add_option("--model-dirs", opts->model_dirs,
                  "Folders to search for models instead of SHIMMY_MODEL_PATHS");
  cmd->add_option("--parallel,-p", opts->parallel,
                  "Requests per model decoded together (continuous batching)")
      ->capture_default_str();
  cmd->add_option("--max-loaded-models", opts->max_loaded,
                  "Models resident at once; the least recently used unloads first (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--max-queue", opts->max_queue,
                  "Requests per model waiting for a slot; more get 503 with Retry-After")
      ->capture_default_str();
  cmd->add_option("--ctx,-c", opts->ctx, "Context length per sequence (0: the model's own)")
      ->capture_default_str();
  cmd->add_option("--threads,-t", opts->threads, "Threads per model (0: physical cores)")
      ->capture_default_str();
  AddKvCacheFlags(cmd, opts->kv);
  cmd->add_option("--keep-alive", opts->keep_alive,
                  "How long an idle model stays loaded: 5m, 1h, 30s, -1 forever, 0 unload "
                  "[env: SHIMMY_KEEP_ALIVE; default 5m]");
  cmd->add_option("--api-key", opts->api_key,
                  "Require this key (Authorization: Bearer or x-api-key) on every route but "
                  "/health [env: SHIMMY_API_KEY]");
  cmd->add_option("--cors-origins", opts->cors_origins,
                  "Origins allowed by CORS ('*' any); default: any origin on loopback binds, "
                  "none otherwise");
  cmd->add_flag("--cpu-moe", opts->cpu_moe, "Keep MoE expert weights on the CPU");
  cmd->add_option("--n-cpu-moe", opts->n_cpu_moe,
                  "Keep the experts of the first N layers on the CPU");
  cmd->callback([opts, &runner] { runner = [opts] { return RunServe(*opts); }; });
}

}  // namespace shimmy::app
