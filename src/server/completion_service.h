// The dialect-neutral core of every generation route. OpenAI, Ollama and
// Anthropic handlers parse their JSON into a CompletionRequest, call
// Start(), and turn the events back into their own wire format; they never
// touch the pool, the template or the scheduler themselves.
//
//   auto handle = service.Start(std::move(request), {
//       .on_start = [&](const CompletionStart& s) { ... },        // once, before any delta
//       .on_delta = [&](int choice, const CompletionDelta& d) { ... },
//       .on_done = [&](const CompletionFinal& f) { ... },         // once, at the end
//       .on_error = [&](const CompletionError& e) { ... }});      // instead of on_done
//   out->OnCancel([handle] { handle->Cancel(); });
//
// What Start does: acquires the model (loading it if needed, see
// runtime/model_pool.h), renders the chat template (or takes the raw
// prompt), tokenizes, checks the context, builds the grammar for
// response_format, submits one Scheduler job per choice, and parses each
// choice's text into content / reasoning / tool calls as it streams.
//
// Threads: events run on the model's engine thread, except errors found
// before submitting (unknown model, template error, prompt too long), which
// may run on the caller's thread or the loader thread. Events of one
// request never run concurrently. Exactly one of on_done/on_error runs;
// the model stays leased (token_text stays valid) until it returns, and the
// events are released right after it (so captures such as the response
// stream do not outlive the request).
#pragma once

#include <boost/beast/http/status.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "chat/tool_calls.h"
#include "engine/generator.h"
#include "runtime/model_pool.h"

namespace shimmy::server {

struct CompletionRequest {
  std::string model;  // a registry name (never a path)

  // Exactly one of these: a chat (rendered with the model's template, output
  // parsed for reasoning and tool calls) or a raw prompt (used as is, BOS
  // added as the model's tokenizer does; output is all content).
  std::optional<chat::ChatInput> chat;
  std::string prompt;

  // Sampling, stop strings, max_tokens (<= 0: up to the end of the
  // context), logprobs. The prompt field is filled in by the service.
  GenerateRequest gen;

  // Structured output: a JSON schema, or any JSON object (json_object).
  std::optional<nlohmann::ordered_json> json_schema;  // ordered: properties generate in order
  bool json_object = false;

  int n = 1;  // independent choices; choice i>0 uses seed + i when a seed is set
  std::optional<std::chrono::milliseconds> keep_alive;  // see AcquireOptions
  bool echo = false;  // completions: the prompt is prepended to choice text (OpenAI echo)
};

struct CompletionStart {
  std::string model;      // the resolved registry name
  int prompt_tokens = 0;  // after templating and tokenization
  std::chrono::system_clock::time_point created;
  // The raw text of a token (for logprobs); valid until on_done/on_error.
  std::function<std::string(TokenId)> token_text;
  int n_ctx = 0;  // the context the request runs in
};

struct CompletionDelta {
  chat::OutputDelta output;                  // reasoning / content / tool-call pieces
  std::span<const TokenId> tokens;           // sampled since the previous delta of this choice
  std::span<const SampleLogprobs> logprobs;  // parallel to tokens when asked for
};

struct ChoiceFinal {
  // "stop", "length", "tool_calls" (the model called a tool), "cancelled"
  std::string finish_reason;
  std::string content;
  std::string reasoning;
  std::vector<chat::ToolCall> tool_calls;
  std::vector<TokenId> tokens;
  std::vector<SampleLogprobs> logprobs;  // per token when asked for
};

struct CompletionFinal {
  std::string model;
  std::vector<ChoiceFinal> choices;
  int prompt_tokens = 0;      // per choice (the prompt is shared)
  int cached_tokens = 0;      // prompt tokens reused from the cache (choice 0)
  int completion_tokens = 0;  // summed over choices
  // For Ollama's stats, in nanoseconds there; milliseconds here.
  double load_ms = 0;  // 0 unless this request loaded the model
  double prompt_ms = 0;
  double decode_ms = 0;
  double total_ms = 0;
};

struct CompletionError {
  boost::beast::http::status status;  // 400 bad request/context, 404 unknown model,
                                      // 429/503 queue full, 500 engine failure
  std::string message;
  std::string code;  // OpenAI code: "model_not_found", "context_length_exceeded", ...
};

struct CompletionEvents {
  std::function<void(const CompletionStart&)> on_start;
  std::function<void(int choice, const CompletionDelta&)> on_delta;
  std::function<void(const CompletionFinal&)> on_done;
  std::function<void(const CompletionError&)> on_error;
};

// Cancels a running request (idempotent, any thread). on_done then runs
// with finish_reason "cancelled" (or on_error if nothing was submitted).
class CompletionHandle {
 public:
  virtual ~CompletionHandle() = default;
  virtual void Cancel() = 0;
};

struct EmbeddingResult {
  std::string model;
  std::vector<std::vector<float>> vectors;  // one per input, in order
  int prompt_tokens = 0;                    // summed over inputs
  double load_ms = 0;
  double total_ms = 0;
};

class CompletionService {
 public:
  explicit CompletionService(runtime::ModelPool& pool) : pool_(pool) {}

  std::shared_ptr<CompletionHandle> Start(CompletionRequest request, CompletionEvents events);

  // Embeds each input (pooling from the model; L2-normalised when
  // `normalize`). `done` runs once, on the engine or loader thread, with
  // exactly one of its arguments non-null.
  // Errors use the same statuses as CompletionError. `truncate`: cut inputs
  // longer than the context instead of failing (Ollama's default).
  void Embed(
      const std::string& model, std::vector<std::string> inputs, bool normalize, bool truncate,
      std::optional<std::chrono::milliseconds> keep_alive,
      std::function<void(const EmbeddingResult*, const CompletionError*)> done);  // one is null

  runtime::ModelPool& pool() { return pool_; }

 private:
  runtime::ModelPool& pool_;
};

}  // namespace shimmy::server
