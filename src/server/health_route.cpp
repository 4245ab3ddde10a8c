#include "server/health_route.h"

namespace shimmy::server {

void AddHealthRoute(Router& router) {
  router.Add(http::verb::get, "/health", [](const Request&, std::shared_ptr<ResponseStream> out) {
    out->RespondJson(http::status::ok, {{"status", "ok"}});
  });
}

}  // namespace shimmy::server
