// The Ollama dialect of `shimmy serve`: /, /api/version, /api/generate,
// /api/chat, /api/embed, /api/embeddings, /api/tags, /api/show, /api/ps,
// and shimmy's own /api/models/{name}/load|unload|status.
//
// A thin translator over CompletionService (completion_service.h): request
// JSON -> CompletionRequest (api_ollama_parse.cpp), service events -> NDJSON
// lines or one JSON answer (api_ollama_respond.cpp), model listings
// (api_ollama_models.cpp), and the glue (api_ollama_routes.cpp,
// api_ollama_model_routes.cpp). Parsing and building are pure functions,
// tested without a model.
//
// Choices where Ollama leaves room (or where we differ), in one place:
//  - defaults are Ollama's (temperature 0.8, top_k 40, top_p 0.9,
//    repeat_penalty 1.1, repeat_last_n 64, stream true); an Ollama-store
//    model's params layer overrides them and the request's options override
//    both, key by key; options we do not use (num_gpu, mirostat, ...) are
//    ignored, as Ollama ignores what its runner lacks;
//  - num_predict <= 0 (-1 unlimited, -2 fill the context) generates until
//    the model stops or the context is full;
//  - num_ctx never grows the context the model was loaded with: it only caps
//    prompt + generated tokens, and only when the prompt fits in it (a longer
//    prompt is not truncated, as Ollama would, since the room is there);
//  - images are 400: no model here reads them; `template`, `suffix` and
//    `context` of /api/generate are ignored;
//  - model names are echoed as the client sent them; an unknown model is 404
//    {"error":"model 'x' not found"};
//  - /api/tags digests: the blob's sha256 for Ollama-store models; for other
//    files a sha256 over path, size and mtime (hashing whole models on every
//    listing would read gigabytes), stable while the file is unchanged.
//
// Thread-safety: every function here is pure or only writes to the stream it
// is given; the routes hold no state of their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "discovery/model_entry.h"
#include "gguf/gguf_file.h"
#include "runtime/model_pool.h"
#include "server/completion_service.h"
#include "server/router.h"

namespace shimmy::server {

using OJson = nlohmann::ordered_json;

// Registers the routes above. `service` must outlive the router; `version`
// is what /api/version reports.
void AddOllamaRoutes(Router& router, CompletionService& service, std::string version);

namespace ollama {

// ---- Parsing (api_ollama_parse.cpp) -------------------------------------

// A /api/generate or /api/chat body, read.
struct GenerateRequest {
  std::string model;             // as the client wrote it
  CompletionRequest completion;  // completion.model == model
  bool stream = true;
  // Empty prompt / no messages: only load the model (or unload it when
  // keep_alive is 0), as Ollama's clients do to preload.
  bool load_only = false;
  std::optional<int> num_ctx;  // cap on prompt + generated tokens
};

// The "model" field (Ollama also accepts "name" on some routes). Errors
// when absent or not a non-empty string.
Result<std::string> ModelField(const OJson& body, bool accept_name = false);

// Applies Ollama's defaults, then `model_params` (an Ollama params layer,
// may be null), then the request's `options` (may be null) to `request`.
// Errors name the field ("options.temperature must be a number").
Status ApplyOptions(const OJson& model_params, const OJson& options, CompletionRequest& request,
                    std::optional<int>* num_ctx);

// `defaults`: the model's Ollama manifest layers (system prompt, params).
Result<GenerateRequest> ParseGenerate(const OJson& body, const discovery::OllamaDefaults& defaults);
Result<GenerateRequest> ParseChat(const OJson& body, const discovery::OllamaDefaults& defaults);

// Ollama chat messages -> OpenAI-shaped ones for ChatInput: tool_calls get
// type "function" (arguments stay objects), assistant "thinking" becomes
// reasoning_content (and thinking, for templates that read that name),
// tool_name becomes name. Images are refused.
Result<OJson> ChatMessages(const OJson& messages);

struct EmbedRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool truncate = true;
  std::optional<int> dimensions;  // cut each vector to this many, then re-normalise
  std::optional<std::chrono::milliseconds> keep_alive;
  bool legacy = false;  // /api/embeddings: one prompt, not normalised
};
Result<EmbedRequest> ParseEmbed(const OJson& body);            // /api/embed
Result<EmbedRequest> ParseLegacyEmbedding(const OJson& body);  // /api/embeddings

// keep_alive as Ollama accepts it; absent or null -> nullopt (the default).
Result<std::optional<std::chrono::milliseconds>> KeepAliveField(const OJson& body);

// ---- Answers (api_ollama_respond.cpp) -----------------------------------

using Clock = std::chrono::system_clock;

// RFC 3339 in UTC with the fraction Go prints (trailing zeros dropped):
// "2024-05-01T10:00:00.5Z".
std::string Rfc3339(Clock::time_point t);

// {"total_duration", "load_duration", "prompt_eval_count",
//  "prompt_eval_duration", "eval_count", "eval_duration"}, durations in ns.
OJson StatsJson(const CompletionFinal& final);

// "stop" or "length" (also when `capped` by num_ctx).
std::string DoneReason(const ChoiceFinal& choice, bool capped);

// [{"id", "function": {"index", "name", "arguments": {...}}}]: arguments as
// a JSON object (the text when it is not one).
OJson ToolCallsJson(const std::vector<chat::ToolCall>& calls);

enum class Endpoint { kGenerate, kChat };

// Turns one request's service events into NDJSON lines (stream) or the one
// JSON answer (not stream). One per request, one thread at a time.
class ResponseWriter {
 public:
  ResponseWriter(Endpoint endpoint, std::string model, bool stream,
                 std::function<Clock::time_point()> now = Clock::now);

  // The line for a streamed delta, "" when it carries nothing (or when not
  // streaming: the final answer is built from CompletionFinal).
  std::string Delta(const chat::OutputDelta& delta);
  // The last NDJSON line (stream) or the whole JSON body (not stream).
  std::string Final(const CompletionFinal& final, bool capped);
  // {"error": message} as a line, for errors after the stream began.
  std::string Error(std::string_view message);
  // The answer to a load-only request: done, done_reason "load"/"unload".
  OJson LoadAnswer(std::string_view done_reason);

 private:
  OJson Head();  // model, created_at

  Endpoint endpoint_;
  std::string model_;
  bool stream_;
  std::function<Clock::time_point()> now_;
};

// JSON text that never throws on invalid UTF-8 (replaced with U+FFFD).
std::string Dump(const OJson& body);

// A float as its shortest decimal (0.1f reads 0.1, not 0.10000000149011612).
OJson FloatJson(float f);

// The /api/embed answer {"model", "embeddings", "total_duration",
// "load_duration", "prompt_eval_count"} or the legacy /api/embeddings one
// {"embedding"}. With `dimensions`, each vector is cut to that many values
// and L2-normalised again; more than the model has is an error.
Result<OJson> EmbedJson(const EmbedRequest& request, const EmbeddingResult& result);

// ---- Models (api_ollama_models.cpp) -------------------------------------

// "260K", "1.2B", "7B", "494.03M", as Ollama prints parameter counts.
std::string ParameterSize(uint64_t n_params);
// See the header comment: blob sha256, else sha256(path, size, mtime).
std::string ModelDigest(const discovery::ModelEntry& entry);
// The file's modification time (epoch when it cannot be read).
Clock::time_point ModifiedTime(const discovery::ModelEntry& entry);
// {parent_model, format, family, families, parameter_size, quantization_level}.
OJson DetailsJson(const discovery::ModelEntry& entry);
// One /api/tags entry: {name, model, modified_at, size, digest, details}.
OJson TagsEntry(const discovery::ModelEntry& entry);
// The registry's LLM and embedding models: {"models":[...]}.
OJson TagsJson(const discovery::Registry& registry);
// One /api/ps entry. `entry` may be null (then no digest/details).
OJson PsEntry(const runtime::ResidentInfo& info, const discovery::ModelEntry* entry,
              Clock::time_point now);

// GGUF metadata as /api/show's model_info: every scalar key; arrays up to 16
// elements inline, longer ones null unless `verbose`;
// general.parameter_count added from `n_params` when the file lacks it.
OJson ModelInfoJson(const gguf::GgufFile& file, uint64_t n_params, bool verbose);
// ["completion"] (+ "tools", "thinking" from the template) or ["embedding"].
OJson Capabilities(const discovery::ModelEntry& entry, std::string_view template_text);
// An Ollama params layer (JSON object text) as Modelfile PARAMETER lines.
std::string ParametersText(std::string_view params_json);
// The whole /api/show answer.
OJson ShowJson(const discovery::ModelEntry& entry, const gguf::GgufFile& file, bool verbose);

// SHA-256 of `data`, lowercase hex (FIPS 180-4; api_ollama_digest.cpp).
std::string Sha256Hex(std::string_view data);

// ---- Route glue (api_ollama_routes.cpp) ---------------------------------

// The body as ordered JSON (so schemas keep the client's key order); on
// failure answers 400 and returns nullopt.
std::optional<OJson> ReadBody(const Request& request, ResponseStream& out);
// Resolves a model name through the registry; on failure answers 404
// {"error":"model 'x' not found"} (400 for an ambiguous prefix) and returns
// nullptr.
const discovery::ModelEntry* ResolveOrRespond(const discovery::Registry& registry,
                                              const std::string& name, ResponseStream& out);
// A service error in Ollama's words (404: "model 'x' not found").
void RespondServiceError(ResponseStream& out, const CompletionError& error, std::string_view model);
// Loads `name` (a registry name) and lets it go again, so its keep_alive
// countdown has started by the time `done` runs (nullptr, or the error: 404
// unknown, 500 load failure). `done` runs on the caller's or the loader's
// thread.
void Preload(runtime::ModelPool& pool, const std::string& name,
             std::optional<std::chrono::milliseconds> keep_alive,
             std::function<void(const CompletionError*)> done);
// "%3A" -> ":" in a path segment; malformed escapes are kept as they are.
std::string UrlDecode(std::string_view text);

// /api/tags, /api/show, /api/ps and /api/models/{name}/...
// (api_ollama_model_routes.cpp).
void AddOllamaModelRoutes(Router& router, CompletionService& service);

}  // namespace ollama
}  // namespace shimmy::server
