// The Ollama routes that generate: /, /api/version, /api/generate,
// /api/chat, /api/embed, /api/embeddings; and the glue every Ollama route
// shares (body, model resolution, errors).
//
// Handlers run on an I/O thread and only parse, resolve and hand off: the
// service (or the pool, for a preload) answers later from its own threads.
// Per-request state lives in a shared RunState captured by the callbacks;
// the service never runs two events of one request at once, so only the
// handle (set after Start returns, read from a callback) needs a lock.
//
// Ownership: the service keeps a running request (and so its callbacks,
// RunState and the ResponseStream) alive; the stream's cancel callback and
// RunState hold the handle only weakly, since the request owns them (a
// strong handle there would be a cycle that outlives the answer).
#include <mutex>

#include "runtime/keep_alive.h"
#include "server/api_common.h"
#include "server/api_ollama.h"

namespace shimmy::server {
namespace ollama {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kNdjson = "application/x-ndjson";

struct RunState {
  RunState(ResponseWriter w, std::optional<int> cap, bool s)
      : writer(std::move(w)), num_ctx(cap), stream(s) {}

  // Cancels now if Start has returned, else as soon as it does.
  void Cancel() {
    std::shared_ptr<CompletionHandle> h;
    {
      std::lock_guard lk(mu);
      cancel_wanted = true;
      h = handle.lock();
    }
    if (h) h->Cancel();
  }

  ResponseWriter writer;
  const std::optional<int> num_ctx;
  const bool stream;
  int prompt_tokens = 0;
  size_t generated = 0;
  bool capped = false;  // num_ctx reached: the rest of the output is dropped
  bool begun = false;   // the NDJSON stream has started

  std::mutex mu;  // guards handle and cancel_wanted
  std::weak_ptr<CompletionHandle> handle;
  bool cancel_wanted = false;
};

void Run(CompletionService& service, Endpoint endpoint, GenerateRequest request,
         std::shared_ptr<ResponseStream> out) {
  auto st = std::make_shared<RunState>(ResponseWriter(endpoint, request.model, request.stream),
                                       request.num_ctx, request.stream);
  CompletionEvents events;
  events.on_start = [st, out](const CompletionStart& s) {
    st->prompt_tokens = s.prompt_tokens;
    if (st->stream) {
      out->Begin(http::status::ok, kNdjson);
      st->begun = true;
    }
  };
  events.on_delta = [st, out](int choice, const CompletionDelta& d) {
    if (choice != 0 || st->capped) return;
    st->generated += d.tokens.size();
    if (std::string line = st->writer.Delta(d.output); !line.empty()) out->Write(line);
    // num_ctx caps prompt + output, but never cuts a prompt that is longer.
    if (st->num_ctx && st->prompt_tokens < *st->num_ctx &&
        st->prompt_tokens + st->generated >= static_cast<size_t>(*st->num_ctx)) {
      st->capped = true;
      st->Cancel();
    }
  };
  events.on_done = [st, out](const CompletionFinal& f) {
    std::string body = st->writer.Final(f, st->capped);
    if (!st->stream) return out->Respond(http::status::ok, kJson, std::move(body));
    if (!st->begun) out->Begin(http::status::ok, kNdjson);
    out->Write(body);
    out->End();
  };
  const std::string model = request.model;
  events.on_error = [st, out, model](const CompletionError& e) {
    if (!st->begun) return RespondServiceError(*out, e, model);
    out->Write(st->writer.Error(e.message));
    out->End();
  };
  auto handle = service.Start(std::move(request.completion), std::move(events));
  if (!handle) return;
  bool cancel;
  {
    std::lock_guard lk(st->mu);
    st->handle = handle;
    cancel = st->cancel_wanted;
  }
  if (cancel) handle->Cancel();
  out->OnCancel([weak = std::weak_ptr<CompletionHandle>(handle)] {
    if (auto h = weak.lock()) h->Cancel();
  });
}

// Ollama's preload (empty prompt) and unload (empty prompt, keep_alive 0).
void LoadOnly(CompletionService& service, Endpoint endpoint, const GenerateRequest& request,
              const std::string& name, std::shared_ptr<ResponseStream> out) {
  ResponseWriter writer(endpoint, request.model, false);
  const auto& keep_alive = request.completion.keep_alive;
  if (keep_alive && keep_alive->count() == 0) {
    (void)service.pool().Unload(name);  // "not resident" is fine: it is unloaded
    return out->Respond(http::status::ok, kJson, Dump(writer.LoadAnswer("unload")));
  }
  Preload(service.pool(), name, keep_alive,
          [out, writer = std::move(writer),
           model = request.model](const CompletionError* error) mutable {
            if (error != nullptr) return RespondServiceError(*out, *error, model);
            out->Respond(http::status::ok, kJson, Dump(writer.LoadAnswer("load")));
          });
}

void HandleCompletion(CompletionService& service, Endpoint endpoint, const Request& req,
                      std::shared_ptr<ResponseStream> out) {
  auto body = ReadBody(req, *out);
  if (!body) return;
  auto model = ModelField(*body);
  if (!model) return out->RespondError(http::status::bad_request, model.error().message());
  const discovery::ModelEntry* entry = ResolveOrRespond(service.pool().registry(), *model, *out);
  if (entry == nullptr) return;
  auto request = endpoint == Endpoint::kGenerate ? ParseGenerate(*body, entry->ollama)
                                                 : ParseChat(*body, entry->ollama);
  if (!request) return out->RespondError(http::status::bad_request, request.error().message());
  request->completion.model = entry->name;
  if (request->load_only) return LoadOnly(service, endpoint, *request, entry->name, out);
  Run(service, endpoint, std::move(*request), std::move(out));
}

void HandleEmbed(CompletionService& service, bool legacy, const Request& req,
                 std::shared_ptr<ResponseStream> out) {
  auto body = ReadBody(req, *out);
  if (!body) return;
  auto parsed = legacy ? ParseLegacyEmbedding(*body) : ParseEmbed(*body);
  if (!parsed) return out->RespondError(http::status::bad_request, parsed.error().message());
  const discovery::ModelEntry* entry =
      ResolveOrRespond(service.pool().registry(), parsed->model, *out);
  if (entry == nullptr) return;
  auto answer = [out, request = *parsed](const EmbeddingResult* result,
                                         const CompletionError* error) {
    if (error != nullptr) return RespondServiceError(*out, *error, request.model);
    auto json = EmbedJson(request, *result);
    if (!json) return out->RespondError(http::status::bad_request, json.error().message());
    out->Respond(http::status::ok, kJson, Dump(*json));
  };
  if (parsed->inputs.empty()) {
    // Nothing to embed: Ollama loads the model and answers an empty list.
    Preload(service.pool(), entry->name, parsed->keep_alive,
            [answer, model = parsed->model](const CompletionError* error) {
              if (error != nullptr) return answer(nullptr, error);
              EmbeddingResult empty;
              empty.model = model;
              answer(&empty, nullptr);
            });
    return;
  }
  service.Embed(entry->name, std::move(parsed->inputs), /*normalize=*/!legacy, parsed->truncate,
                parsed->keep_alive, std::move(answer));
}

}  // namespace

std::optional<OJson> ReadBody(const Request& request, ResponseStream& out) {
  OJson body = OJson::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    out.RespondError(http::status::bad_request, "the request body is not valid JSON");
    return std::nullopt;
  }
  if (!body.is_object()) {
    out.RespondError(http::status::bad_request, "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

const discovery::ModelEntry* ResolveOrRespond(const discovery::Registry& registry,
                                              const std::string& name, ResponseStream& out) {
  auto entry = registry.Resolve(name);
  if (entry) return *entry;
  // The registry's one other failure is an ambiguous prefix: the client must
  // say more, which is a 400, not a missing model.
  if (entry.error().message().find("matches several") != std::string::npos) {
    out.RespondError(http::status::bad_request, entry.error().message());
  } else {
    out.RespondError(http::status::not_found, "model '" + name + "' not found");
  }
  return nullptr;
}

void RespondServiceError(ResponseStream& out, const CompletionError& error,
                         std::string_view model) {
  CompletionError e = error;
  if (e.status == http::status::not_found)
    e.message = "model '" + std::string(model) + "' not found";
  RespondCompletionError(out, e);
}

void Preload(runtime::ModelPool& pool, const std::string& name,
             std::optional<std::chrono::milliseconds> keep_alive,
             std::function<void(const CompletionError*)> done) {
  pool.Acquire(name, {.keep_alive = keep_alive},
               [done = std::move(done)](Result<runtime::ModelLease> lease) {
                 if (!lease) {
                   const bool unknown = runtime::IsUnknownModel(lease.error());
                   const CompletionError e{
                       unknown ? http::status::not_found : http::status::internal_server_error,
                       lease.error().message(), ""};
                   return done(&e);
                 }
                 {
                   // Released before answering, so the countdown has begun.
                   runtime::ModelLease held = std::move(lease).value();
                 }
                 done(nullptr);
               });
}

std::string UrlDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace ollama

void AddOllamaRoutes(Router& router, CompletionService& service, std::string version) {
  using ollama::Endpoint;
  // Clients probe "/" to see whether an Ollama server is there.
  router.Add(http::verb::get, "/", [](const Request&, std::shared_ptr<ResponseStream> out) {
    out->Respond(http::status::ok, "text/plain; charset=utf-8", "Ollama is running");
  });
  router.Add(http::verb::head, "/", [](const Request&, std::shared_ptr<ResponseStream> out) {
    out->Respond(http::status::ok, "text/plain; charset=utf-8", "");  // HEAD: no body
  });
  router.Add(
      http::verb::get, "/api/version",
      [version](const Request&, std::shared_ptr<ResponseStream> out) {
        out->Respond(http::status::ok, "application/json", ollama::Dump({{"version", version}}));
      });
  router.Add(http::verb::post, "/api/generate",
             [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
               ollama::HandleCompletion(service, Endpoint::kGenerate, req, std::move(out));
             });
  router.Add(http::verb::post, "/api/chat",
             [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
               ollama::HandleCompletion(service, Endpoint::kChat, req, std::move(out));
             });
  router.Add(http::verb::post, "/api/embed",
             [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
               ollama::HandleEmbed(service, /*legacy=*/false, req, std::move(out));
             });
  router.Add(http::verb::post, "/api/embeddings",
             [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
               ollama::HandleEmbed(service, /*legacy=*/true, req, std::move(out));
             });
  ollama::AddOllamaModelRoutes(router, service);
}

}  // namespace shimmy::server
