// The whole server in one process for end-to-end tests: fixture models in a
// registry, a ModelPool, the CompletionService, the routes a test asks for,
// and an HttpServer on a free loopback port.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/fixtures.h"
#include "discovery/classify.h"
#include "runtime/model_pool.h"
#include "server/completion_service.h"
#include "server/test_client.h"

namespace shimmy::testing {

// A registry entry for fixtures/models/FILE under `name`.
inline discovery::ModelEntry FixtureEntry(const std::string& name, const std::string& file) {
  discovery::ModelEntry e;
  e.name = name;
  e.path = (FixturesDir() / "models" / file).string();
  e.shard_paths = {e.path};
  e.facts = discovery::ReadFacts(e.path);
  e.size_bytes = std::filesystem::file_size(e.path);
  return e;
}

class ModelStack {
 public:
  using AddRoutes =
      std::function<void(server::Router&, server::CompletionService&, const runtime::ModelPool&)>;

  ModelStack(std::vector<discovery::ModelEntry> models, int parallel, const AddRoutes& add_routes) {
    auto registry = std::make_shared<discovery::Registry>(std::move(models));
    runtime::PoolOptions options;
    options.n_parallel = parallel;
    options.n_ctx = 256;
    options.n_threads = 2;
    pool = std::make_unique<runtime::ModelPool>(registry, options);
    service = std::make_unique<server::CompletionService>(*pool);
    auto router = std::make_shared<server::Router>();
    add_routes(*router, *service, *pool);
    server = StartTestServer(router, 1 << 20);
  }
  ~ModelStack() {
    server->Stop(std::chrono::seconds(5));
    // A response reaches the client while its engine callback is still
    // returning: it holds the model's lease and, for a moment, the HTTP
    // session. Those callbacks must end while the server's io_context still
    // exists (it goes last, with `server`), or the session's last reference
    // is dropped on the engine thread after it is gone (seen under ASan).
    // Stop has closed the connections, so what still runs is cancelled.
    pool->WaitForLeases(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    service.reset();
    pool.reset();
  }

  uint16_t port() const { return server->endpoint().port(); }
  http::response<http::string_body> Post(const std::string& target, const nlohmann::json& body) {
    TestClient c(port());
    return c.Request(http::verb::post, target, body.dump());
  }
  http::response<http::string_body> Get(const std::string& target) {
    TestClient c(port());
    return c.Request(http::verb::get, target);
  }

  std::unique_ptr<runtime::ModelPool> pool;
  std::unique_ptr<server::CompletionService> service;
  std::unique_ptr<server::HttpServer> server;
};

}  // namespace shimmy::testing
