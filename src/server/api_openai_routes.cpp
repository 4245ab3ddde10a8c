// POST /v1/chat/completions and POST /v1/completions: parse, start the
// service, and turn its events into one JSON answer or an SSE stream.
//
// One GenerationRun per request holds what the events share. The service
// never runs two events of one request at once, so it needs no lock; the
// cancel callback (an I/O thread) touches only the handle.
//
// Streams: the header goes out at on_start (the model is loaded and the
// prompt fits), then, for chat, one role chunk per choice; each delta is
// written as its own event at once; on_done writes each choice's
// finish_reason, the usage chunk when asked, and [DONE]. Errors before the
// stream began are a whole JSON error answer; after, an SSE error event.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/api_common.h"
#include "server/api_openai.h"
#include "server/error_body.h"

namespace shimmy::server {
namespace {

OJson EmptyLegacy() {
  size_t offset = 0;
  return LegacyLogprobs({}, nullptr, &offset);
}

struct GenerationRun {
  bool chat = true;  // /v1/chat/completions, else /v1/completions
  bool stream = false;
  bool include_usage = false;
  bool want_logprobs = false;
  std::shared_ptr<ResponseStream> out;  // reset once answered (breaks the handle cycle)
  ResponseMeta meta;
  TokenTextFn token_text;
  bool began = false;  // the SSE header went out

  // Per choice. Logprobs: chat, {"content":[...]} entries; completions, a
  // legacy object. Whole answers collect every token here; streams hold the
  // tokens whose text has not been sent yet (held back by the output
  // parser) and send them with the next chunk that carries text.
  std::vector<OJson> choice_logprobs;
  std::vector<size_t> text_offset;  // legacy text_offset of the next token
  size_t echo_bytes = 0;            // prompt bytes echoed before the choice text

  void Emit(OJson chunk) {
    if (include_usage && !chunk.contains("usage")) chunk["usage"] = nullptr;
    out->Write(SseChunk(chunk));
  }

  void BeginStream() {
    if (began) return;
    began = true;
    out->Begin(http::status::ok, "text/event-stream");
  }

  // Appends one delta's logprobs to choice `i`'s collection.
  void AddLogprobs(int i, std::span<const SampleLogprobs> lps) {
    if (!logprobs_wanted(lps)) return;
    if (chat) {
      if (choice_logprobs[i].is_null()) choice_logprobs[i] = {{"content", OJson::array()}};
      for (OJson& e : ChatLogprobsContent(lps, token_text)) {
        choice_logprobs[i]["content"].push_back(std::move(e));
      }
    } else {
      AppendLegacyLogprobs(choice_logprobs[i], LegacyLogprobs(lps, token_text, &text_offset[i]));
    }
  }
  bool logprobs_wanted(std::span<const SampleLogprobs> lps) const {
    return want_logprobs && !lps.empty() && token_text;
  }
  OJson TakeLogprobs(int i) { return std::exchange(choice_logprobs[i], nullptr); }

  void OnStart(const CompletionStart& s, int n) {
    meta.model = s.model;
    meta.created = UnixSeconds(s.created);
    token_text = s.token_text;
    choice_logprobs.assign(n, nullptr);
    text_offset.assign(n, echo_bytes);
    if (!stream) return;
    BeginStream();
    if (chat) {
      for (int i = 0; i < n; ++i) Emit(ChatChunk(meta, i, ChatDeltaJson({}, true), nullptr, ""));
    }
  }

  void OnDelta(int i, const CompletionDelta& d) {
    if (i < 0 || static_cast<size_t>(i) >= choice_logprobs.size()) return;
    AddLogprobs(i, d.logprobs);
    if (!stream) return;
    if (chat) {
      if (d.output.empty()) return;  // nothing to show yet: keep the logprobs for later
      Emit(ChatChunk(meta, i, ChatDeltaJson(d.output, false), TakeLogprobs(i), ""));
    } else {
      if (d.output.content.empty()) return;
      Emit(TextCompletionChunk(meta, i, d.output.content, TakeLogprobs(i), ""));
    }
  }

  void OnDone(const CompletionFinal& f) {
    if (!f.model.empty()) meta.model = f.model;
    choice_logprobs.resize(f.choices.size(), nullptr);
    if (!stream) {
      std::vector<OJson> lps;
      if (want_logprobs) {
        lps = std::move(choice_logprobs);
        for (OJson& lp : lps) {  // asked for, but no token came: an empty list, not null
          if (lp.is_null()) lp = chat ? OJson{{"content", OJson::array()}} : EmptyLegacy();
        }
      }
      const OJson body = chat ? ChatCompletionJson(meta, f, lps) : TextCompletionJson(meta, f, lps);
      out->Respond(http::status::ok, "application/json", DumpJson(body));
    } else {
      BeginStream();
      for (size_t i = 0; i < f.choices.size(); ++i) {
        const int index = static_cast<int>(i);
        const std::string& reason = f.choices[i].finish_reason;
        Emit(chat ? ChatChunk(meta, index, OJson::object(), TakeLogprobs(index), reason)
                  : TextCompletionChunk(meta, index, "", TakeLogprobs(index), reason));
      }
      if (include_usage) Emit(chat ? ChatUsageChunk(meta, f) : TextUsageChunk(meta, f));
      out->Write("data: [DONE]\n\n");
      out->End();
    }
    out.reset();
  }

  void OnError(const CompletionError& e) {
    if (!began) {
      RespondCompletionError(*out, e);
    } else {
      out->Write(SseChunk(OpenAiError(e.status, e.message, {}, e.code)));
      out->End();
    }
    out.reset();
  }
};

void HandleGeneration(CompletionService& service, bool chat, const Request& request,
                      std::shared_ptr<ResponseStream> out) {
  auto body = ParseOrderedBody(request, *out);
  if (!body) return;
  ParamError param_error;
  Result<OpenAiRequest> parsed = chat ? ParseChatCompletionRequest(*body, &param_error)
                                      : ParseCompletionRequest(*body, &param_error);
  if (!parsed) {
    RespondParamError(*out, parsed.error(), param_error);
    return;
  }

  auto run = std::make_shared<GenerationRun>();
  run->chat = chat;
  run->stream = parsed->stream;
  run->include_usage = parsed->include_usage;
  run->want_logprobs = parsed->completion.gen.logprobs;
  run->out = out;
  run->meta.id = NewResponseId(chat ? "chatcmpl-" : "cmpl-");
  run->meta.model = parsed->completion.model;
  run->meta.created = UnixSeconds(std::chrono::system_clock::now());
  if (parsed->completion.echo) run->echo_bytes = parsed->completion.prompt.size();
  const int n = parsed->completion.n;

  CompletionEvents events{
      .on_start = [run, n](const CompletionStart& s) { run->OnStart(s, n); },
      .on_delta = [run](int i, const CompletionDelta& d) { run->OnDelta(i, d); },
      .on_done = [run](const CompletionFinal& f) { run->OnDone(f); },
      .on_error = [run](const CompletionError& e) { run->OnError(e); },
  };
  std::shared_ptr<CompletionHandle> handle =
      service.Start(std::move(parsed->completion), std::move(events));
  // A client that goes away stops its generation within one decode step.
  if (handle) out->OnCancel([handle] { handle->Cancel(); });
}

}  // namespace

std::optional<OJson> ParseOrderedBody(const Request& request, ResponseStream& out) {
  OJson body = OJson::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded() && body.is_object()) return body;
  // The same 400 every dialect gives for a body that is not a JSON object.
  if (ParseJsonBody(request, out)) {
    out.RespondError(http::status::bad_request, "the request body must be a JSON object");
  }
  return std::nullopt;
}

void RespondParamError(ResponseStream& out, const Error& error, const ParamError& param) {
  out.Respond(
      http::status::bad_request, "application/json",
      DumpJson(OpenAiError(http::status::bad_request, error.message(), param.param, param.code)));
}

void AddOpenAiRoutes(Router& router, CompletionService& service) {
  router.Add(http::verb::post, "/v1/chat/completions",
             [&service](const Request& request, std::shared_ptr<ResponseStream> out) {
               HandleGeneration(service, /*chat=*/true, request, std::move(out));
             });
  router.Add(http::verb::post, "/v1/completions",
             [&service](const Request& request, std::shared_ptr<ResponseStream> out) {
               HandleGeneration(service, /*chat=*/false, request, std::move(out));
             });
  AddOpenAiModelRoutes(router, service);
}

}  // namespace shimmy::server
