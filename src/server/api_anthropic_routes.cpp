// POST /v1/messages: parse, hand to CompletionService, answer its events as
// one message or as Anthropic's SSE stream. The handler runs on an I/O
// thread and returns at once; the service's callbacks (never two of one
// request at a time) own the per-request state.
#include <algorithm>

#include "server/api_anthropic.h"
#include "server/api_common.h"

namespace shimmy::server {
namespace anthropic {
namespace {

struct RunState {
  RunState(std::string id, std::string model, bool s, std::vector<std::string> stops)
      : writer(id, model),
        id(std::move(id)),
        model(std::move(model)),
        stream(s),
        stop(std::move(stops)) {}

  EventWriter writer;
  const std::string id;
  const std::string model;
  const bool stream;
  const std::vector<std::string> stop;
  CompletionStart start;  // token_text, for the stop sequence
  bool begun = false;
};

// The stop sequence that ended choice 0, if one did. Reads the text of the
// last few tokens through CompletionStart::token_text, which the service
// keeps valid through on_done.
std::optional<std::string> StopSequenceOf(const RunState& st, const CompletionFinal& final) {
  if (st.stop.empty() || final.choices.empty() || !st.start.token_text) return std::nullopt;
  const ChoiceFinal& choice = final.choices[0];
  if (choice.finish_reason != "stop" || choice.tokens.empty()) return std::nullopt;
  size_t longest = 0;
  for (const std::string& s : st.stop) longest = std::max(longest, s.size());
  // A token is at least one byte of text (or none, for a special token), so
  // longest + 1 tokens always cover a stop string ending in the last one,
  // bar empty-text tokens, which a stop string cannot contain anyway.
  const size_t n = std::min(choice.tokens.size(), longest + 1);
  std::vector<std::string> pieces;
  for (size_t i = choice.tokens.size() - n; i < choice.tokens.size(); ++i) {
    pieces.push_back(st.start.token_text(choice.tokens[i]));
  }
  return MatchedStopSequence(st.stop, pieces);
}

void HandleMessages(CompletionService& service, const Request& req,
                    std::shared_ptr<ResponseStream> out) {
  OJson body = OJson::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return out->RespondError(http::status::bad_request,
                             body.is_discarded() ? "the request body is not valid JSON"
                                                 : "the request body must be a JSON object");
  }
  auto parsed = ParseMessagesRequest(body);
  if (!parsed) return out->RespondError(http::status::bad_request, parsed.error().message());

  auto st = std::make_shared<RunState>(NewId("msg_"), parsed->model, parsed->stream,
                                       parsed->completion.gen.stop);
  CompletionEvents events;
  events.on_start = [st, out](const CompletionStart& s) {
    st->start = s;
    if (!st->stream) return;
    out->Begin(http::status::ok, "text/event-stream");
    st->begun = true;
    out->Write(st->writer.Start(s.prompt_tokens));
  };
  events.on_delta = [st, out](int choice, const CompletionDelta& d) {
    if (choice != 0 || !st->stream) return;
    if (std::string events = st->writer.Delta(d.output); !events.empty()) out->Write(events);
  };
  events.on_done = [st, out](const CompletionFinal& f) {
    const auto stop_sequence = StopSequenceOf(*st, f);
    if (!st->stream) {
      return out->Respond(http::status::ok, "application/json",
                          MessageJson(st->id, st->model, f, stop_sequence)
                              .dump(-1, ' ', false, OJson::error_handler_t::replace));
    }
    if (!st->begun) {
      out->Begin(http::status::ok, "text/event-stream");
      out->Write(st->writer.Start(f.prompt_tokens));
    }
    out->Write(st->writer.Final(f, stop_sequence));
    out->End();
  };
  events.on_error = [st, out](const CompletionError& e) {
    if (!st->begun) return RespondCompletionError(*out, e);
    out->Write(st->writer.Error(e.status, e.message));
    out->End();
  };
  auto handle = service.Start(std::move(parsed->completion), std::move(events));
  // Weakly: the running request owns `out`, so a strong handle in the
  // stream's cancel callback would be a cycle that outlives the answer.
  if (handle) {
    out->OnCancel([weak = std::weak_ptr<CompletionHandle>(handle)] {
      if (auto h = weak.lock()) h->Cancel();
    });
  }
}

}  // namespace
}  // namespace anthropic

void AddAnthropicRoutes(Router& router, CompletionService& service) {
  router.Add(http::verb::post, "/v1/messages",
             [&service](const Request& req, std::shared_ptr<ResponseStream> out) {
               anthropic::HandleMessages(service, req, std::move(out));
             });
}

}  // namespace shimmy::server
