// POST /v1/embeddings, GET /v1/models and GET /v1/models/{id}.
// Embeddings are answered from the service's callback (engine or loader
// thread); the model list is read from the immutable registry at once.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "server/api_common.h"
#include "server/api_openai.h"
#include "server/error_body.h"

namespace shimmy::server {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Clients escape ':' and '/' in model ids ("qwen3%3A4b"); a bad escape
// stays as written.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool Listed(const discovery::ModelEntry& e) {
  return e.facts.kind == discovery::ModelKind::kLlm ||
         e.facts.kind == discovery::ModelKind::kEmbedding;
}

void HandleEmbeddings(CompletionService& service, const Request& request,
                      std::shared_ptr<ResponseStream> out) {
  auto body = ParseOrderedBody(request, *out);
  if (!body) return;
  ParamError param_error;
  Result<EmbeddingRequest> parsed = ParseEmbeddingRequest(*body, &param_error);
  if (!parsed) {
    RespondParamError(*out, parsed.error(), param_error);
    return;
  }
  const bool base64 = parsed->base64;
  const std::optional<int> dimensions = parsed->dimensions;
  service.Embed(
      parsed->model, std::move(parsed->inputs), /*normalize=*/true,
      /*truncate=*/false, parsed->keep_alive,
      [out, base64, dimensions](const EmbeddingResult* result, const CompletionError* error) {
        if (error != nullptr) {
          RespondCompletionError(*out, *error);
          return;
        }
        // The width is the model's; we cannot shorten vectors
        // (Matryoshka truncation would need the model's consent).
        const size_t width = result->vectors.empty() ? 0 : result->vectors[0].size();
        if (dimensions && static_cast<size_t>(*dimensions) != width) {
          RespondParamError(*out,
                            Error("this model's embeddings have " + std::to_string(width) +
                                  " dimensions, not " + std::to_string(*dimensions)),
                            {.param = "dimensions", .code = "invalid_value"});
          return;
        }
        out->Respond(http::status::ok, "application/json",
                     DumpJson(EmbeddingsJson(*result, base64)));
      });
}

void HandleModel(CompletionService& service, const Request& request,
                 std::shared_ptr<ResponseStream> out) {
  constexpr std::string_view kPrefix = "/v1/models/";
  const std::string_view path = TargetPath(std::string_view(request.target()));
  const std::string id = PercentDecode(path.substr(std::min(path.size(), kPrefix.size())));
  const discovery::Registry& registry = service.pool().registry();
  const discovery::ModelEntry* found = nullptr;
  for (const discovery::ModelEntry& e : registry.models()) {
    if (e.name == id && Listed(e)) found = &e;
  }
  if (found == nullptr && !id.empty()) {  // an alias, or the other spellings Resolve allows
    auto resolved = registry.Resolve(id);
    if (resolved && Listed(**resolved)) found = *resolved;
  }
  if (found == nullptr) {
    out->RespondError(http::status::not_found, "The model '" + id + "' does not exist",
                      "model_not_found");
    return;
  }
  out->Respond(http::status::ok, "application/json", DumpJson(ModelJson(*found)));
}

}  // namespace

void AddOpenAiModelRoutes(Router& router, CompletionService& service) {
  router.Add(http::verb::post, "/v1/embeddings",
             [&service](const Request& request, std::shared_ptr<ResponseStream> out) {
               HandleEmbeddings(service, request, std::move(out));
             });
  router.Add(http::verb::get, "/v1/models",
             [&service](const Request&, std::shared_ptr<ResponseStream> out) {
               out->Respond(http::status::ok, "application/json",
                            DumpJson(ModelListJson(service.pool().registry())));
             });
  router.AddPrefix(http::verb::get, "/v1/models/",
                   [&service](const Request& request, std::shared_ptr<ResponseStream> out) {
                     HandleModel(service, request, std::move(out));
                   });
}

}  // namespace shimmy::server
