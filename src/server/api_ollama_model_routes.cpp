// The Ollama routes about models rather than text: /api/tags, /api/show,
// /api/ps, and shimmy's own /api/models/{name}/load|unload|status.
//
// /api/show reads the GGUF header (metadata of big vocabularies takes tens
// of milliseconds), so it runs on a short-lived thread of its own, never on
// the I/O thread; the thread owns copies of what it needs and the
// ResponseStream keeps the connection's state alive until it answers.
#include <thread>

#include "runtime/keep_alive.h"
#include "server/api_ollama.h"
#include "server/error_body.h"

namespace shimmy::server {
namespace ollama {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrefix = "/api/models/";

void HandleShow(CompletionService& service, const Request& req,
                std::shared_ptr<ResponseStream> out) {
  auto body = ReadBody(req, *out);
  if (!body) return;
  auto model = ModelField(*body, /*accept_name=*/true);
  if (!model) return out->RespondError(http::status::bad_request, model.error().message());
  bool verbose = false;
  if (auto v = body->find("verbose"); v != body->end() && !v->is_null()) {
    if (!v->is_boolean()) {
      return out->RespondError(http::status::bad_request, "verbose must be true or false");
    }
    verbose = v->get<bool>();
  }
  const discovery::ModelEntry* entry = ResolveOrRespond(service.pool().registry(), *model, *out);
  if (entry == nullptr) return;
  std::thread([out, entry = *entry, verbose] {
    auto file = gguf::GgufFile::Open(entry.path);
    if (!file) {
      return out->RespondError(http::status::internal_server_error, file.error().message());
    }
    out->Respond(http::status::ok, kJson, Dump(ShowJson(entry, *file, verbose)));
  }).detach();
}

void HandlePs(CompletionService& service, std::shared_ptr<ResponseStream> out) {
  const auto& registry = service.pool().registry();
  const auto now = Clock::now();
  OJson models = OJson::array();
  for (const runtime::ResidentInfo& info : service.pool().Resident()) {
    auto entry = registry.Resolve(info.name);
    models.push_back(PsEntry(info, entry ? *entry : nullptr, now));
  }
  out->Respond(http::status::ok, kJson, Dump({{"models", std::move(models)}}));
}

void RespondState(CompletionService& service, const std::string& name, ResponseStream& out) {
  auto state = service.pool().LoadState(name);
  if (!state) return out.RespondError(http::status::not_found, "model '" + name + "' not found");
  out.Respond(http::status::ok, kJson, Dump({{"model", name}, {"status", *state}}));
}

// /api/models/{name}/{action}; the name may itself hold '/' and '%XX'.
void HandleModelAction(CompletionService& service, const Request& req,
                       std::shared_ptr<ResponseStream> out) {
  const std::string_view path = TargetPath(req.target()).substr(kPrefix.size());
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string_view::npos ? "" : UrlDecode(path.substr(0, slash));
  const std::string_view action = slash == std::string_view::npos ? "" : path.substr(slash + 1);
  const bool post = req.method() == http::verb::post;
  if (name.empty() ||
      !((post && (action == "load" || action == "unload")) || (!post && action == "status"))) {
    return out->RespondError(http::status::not_found,
                             "no route for " + std::string(req.method_string()) + " " +
                                 std::string(TargetPath(req.target())) +
                                 " (POST .../load, POST .../unload, GET .../status)");
  }
  const discovery::ModelEntry* entry = ResolveOrRespond(service.pool().registry(), name, *out);
  if (entry == nullptr) return;
  if (action == "status") return RespondState(service, entry->name, *out);
  if (action == "unload") {
    (void)service.pool().Unload(entry->name);  // "not resident" is already the goal
    return RespondState(service, entry->name, *out);
  }
  // load: an optional body {"keep_alive": ...}.
  runtime::AcquireOptions options;
  if (!req.body().empty()) {
    auto body = ReadBody(req, *out);
    if (!body) return;
    auto keep_alive = KeepAliveField(*body);
    if (!keep_alive) {
      return out->RespondError(http::status::bad_request, keep_alive.error().message());
    }
    options.keep_alive = *keep_alive;
  }
  Preload(service.pool(), entry->name, options.keep_alive,
          [out, name = entry->name](const CompletionError* error) {
            if (error != nullptr) return out->RespondError(error->status, error->message);
            out->Respond(http::status::ok, kJson, Dump({{"model", name}, {"status", "loaded"}}));
          });
}

}  // namespace

void AddOllamaModelRoutes(Router& router, CompletionService& service) {
  router.Add(http::verb::get, "/api/tags",
             [&service](const Request&, std::shared_ptr<ResponseStream> out) {
               out->Respond(http::status::ok, kJson, Dump(TagsJson(service.pool().registry())));
             });
  router.Add(http::verb::post, "/api/show",
             [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
               HandleShow(service, req, std::move(out));
             });
  router.Add(http::verb::get, "/api/ps",
             [&service](const Request&, std::shared_ptr<ResponseStream> out) {
               HandlePs(service, std::move(out));
             });
  auto action = [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
    HandleModelAction(service, req, std::move(out));
  };
  router.AddPrefix(http::verb::post, std::string(kPrefix), action);
  router.AddPrefix(http::verb::get, std::string(kPrefix), action);
}

}  // namespace ollama
}  // namespace shimmy::server
