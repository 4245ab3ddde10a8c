// The OpenAI dialect of `shimmy serve`: /v1/chat/completions,
// /v1/completions, /v1/embeddings, /v1/models and /v1/models/{id}.
//
// A thin translator over CompletionService (completion_service.h): request
// JSON -> CompletionRequest (api_openai_parse*.cpp, with the field reader
// of api_openai_fields.h), service events -> one JSON answer or SSE chunks
// (api_openai_build.cpp), the glue between them (api_openai_routes.cpp,
// api_openai_models.cpp). Parsing and building are pure functions so they
// are tested without a model.
//
// Choices where OpenAI leaves room (or where we differ), in one place:
//  - bodies are read as ordered JSON, so tool and response schemas keep the
//    client's property order (the grammar emits properties in that order);
//  - "developer" messages are sent to the template as "system";
//  - content parts other than text (images, audio, files) are 400: no
//    model here reads them;
//  - max_tokens absent: generate until the model stops or the context is
//    full (not OpenAI's legacy 16 for /v1/completions);
//  - logit_bias <= -100 bans the token outright (-infinity), as OpenAI
//    documents -100 to behave;
//  - tool_choice "none" drops the tools; a named function keeps only that
//    tool (unknown name: 400); "required" offers the tools like "auto" (no
//    grammar forces a call);
//  - /v1/completions: a non-empty `suffix` (insert mode) is 400, as are
//    token-array prompts, several prompts, and best_of other than n;
//    echo prepends the prompt (CompletionRequest::echo), its tokens get no
//    logprobs;
//  - extensions: repeat_penalty, top_k, min_p, keep_alive (Ollama's
//    values), chat_template_kwargs (extra template variables, e.g.
//    enable_thinking);
//  - a logprob of -infinity is written as -9999.0 (OpenAI's convention;
//    JSON has no infinity); token text that is not whole UTF-8 is written
//    with U+FFFD, its exact bytes are in `bytes`.
//
// Thread-safety: every function here is pure or only writes to the stream
// it is given; the routes hold no state of their own.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "discovery/model_entry.h"
#include "discovery/registry.h"
#include "server/completion_service.h"
#include "server/router.h"

namespace shimmy::server {

using OJson = nlohmann::ordered_json;

// Registers the five routes above on `router`. `service` must outlive it.
void AddOpenAiRoutes(Router& router, CompletionService& service);

// ---- Parsing (api_openai_parse.cpp, api_openai_parse_chat.cpp) -------------

// Why a request is refused: the message (in the Result's Error) plus the
// field it names, for the envelope's `param` ("temperature",
// "messages[1].content").
struct ParamError {
  std::string param;
  std::string code;  // OpenAI's code when one fits ("invalid_value"), else empty
};

struct OpenAiRequest {
  CompletionRequest completion;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage (streams only)
  // Logprobs are asked for in completion.gen.logprobs and
  // gen.sampling.n_top_logprobs (chat's logprobs/top_logprobs, or the
  // legacy integer `logprobs` of /v1/completions).
};

// POST /v1/chat/completions. On error, `*param_error` (when non-null) names
// the field.
Result<OpenAiRequest> ParseChatCompletionRequest(const OJson& body, ParamError* param_error);
// POST /v1/completions (completion.prompt set, no chat).
Result<OpenAiRequest> ParseCompletionRequest(const OJson& body, ParamError* param_error);

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool base64 = false;            // encoding_format "base64"
  std::optional<int> dimensions;  // must equal the model's width
  std::optional<std::chrono::milliseconds> keep_alive;
};
Result<EmbeddingRequest> ParseEmbeddingRequest(const OJson& body, ParamError* param_error);

// ---- Shared by the route files (api_openai_routes.cpp) ----------------------

// The body as ordered JSON (key order kept); on failure answers the usual
// 400 and returns nullopt.
std::optional<OJson> ParseOrderedBody(const Request& request, ResponseStream& out);
// Answers 400 in OpenAI's envelope with `param` set.
void RespondParamError(ResponseStream& out, const Error& error, const ParamError& param);
// /v1/embeddings, /v1/models, /v1/models/{id} (api_openai_models.cpp).
void AddOpenAiModelRoutes(Router& router, CompletionService& service);

// ---- Building answers (api_openai_build.cpp) ---------------------------------

// What every chunk / answer of one request repeats.
struct ResponseMeta {
  std::string id;       // "chatcmpl-…" or "cmpl-…", the same for every chunk
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// "chatcmpl-" / "cmpl-" followed by 24 random alphanumerics.
std::string NewResponseId(std::string_view prefix);
int64_t UnixSeconds(std::chrono::system_clock::time_point t);

// The text of a token id (CompletionStart::token_text).
using TokenTextFn = std::function<std::string(TokenId)>;

// Chat logprobs entries, one per sampled token: {token, logprob, bytes,
// top_logprobs[{token, logprob, bytes}]}.
OJson ChatLogprobsContent(std::span<const SampleLogprobs> logprobs, const TokenTextFn& text);

// Legacy /v1/completions logprobs: {tokens, token_logprobs, top_logprobs
// (a {text: logprob} object per token), text_offset}. `text_offset` counts
// bytes from `*offset`, which is advanced past the tokens' text.
OJson LegacyLogprobs(std::span<const SampleLogprobs> logprobs, const TokenTextFn& text,
                     size_t* offset);
// Appends `more` (a LegacyLogprobs object) to `into` (null or one too).
void AppendLegacyLogprobs(OJson& into, const OJson& more);

// {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details{cached_tokens}}.
OJson UsageJson(const CompletionFinal& final);

// One chat delta's JSON: role "assistant" when `first`, then whichever of
// content, reasoning_content and tool_calls[{index, id, type, function}]
// the delta carries (id, type and name only on a call's first piece).
OJson ChatDeltaJson(const chat::OutputDelta& delta, bool first);

// A chat.completion.chunk with one choice. `logprobs` null or
// {"content":[...]}; `finish_reason` empty -> null.
OJson ChatChunk(const ResponseMeta& meta, int index, OJson delta, OJson logprobs,
                std::string_view finish_reason);
// The include_usage chunk: empty choices, usage from `final`.
OJson ChatUsageChunk(const ResponseMeta& meta, const CompletionFinal& final);
// The whole non-streamed answer. `logprobs`: one {"content":[...]} per
// choice, or empty when not asked for.
OJson ChatCompletionJson(const ResponseMeta& meta, const CompletionFinal& final,
                         std::span<const OJson> logprobs);

// A text_completion chunk with one choice (finish_reason empty -> null).
OJson TextCompletionChunk(const ResponseMeta& meta, int index, std::string_view text,
                          OJson logprobs, std::string_view finish_reason);
OJson TextUsageChunk(const ResponseMeta& meta, const CompletionFinal& final);
OJson TextCompletionJson(const ResponseMeta& meta, const CompletionFinal& final,
                         std::span<const OJson> logprobs);

// {object:"list", data:[{object:"embedding", index, embedding}], model, usage}.
// base64: each vector as little-endian float32 bytes, base64 encoded.
OJson EmbeddingsJson(const EmbeddingResult& result, bool base64);
std::string Base64Encode(std::string_view bytes);

// {id, object:"model", created, owned_by:"shimmy"}; created is the file's
// modification time, 0 when unreadable.
OJson ModelJson(const discovery::ModelEntry& entry);
// Every LLM and embedding model of the registry.
OJson ModelListJson(const discovery::Registry& registry);

// The OpenAI error envelope with `param` set (null when empty).
OJson OpenAiError(boost::beast::http::status status, std::string_view message,
                  std::string_view param = {}, std::string_view code = {});

// "data: {json}\n\n", never throwing on text that is not UTF-8.
std::string SseChunk(const OJson& body);
// JSON text for an answer, likewise.
std::string DumpJson(const OJson& body);

}  // namespace shimmy::server
