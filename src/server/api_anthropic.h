// The Anthropic dialect of `shimmy serve`: POST /v1/messages, answered as
// one message or as Anthropic's server-sent events.
//
// A thin translator over CompletionService (completion_service.h): request
// JSON -> CompletionRequest with OpenAI-shaped chat messages
// (api_anthropic_parse.cpp), service events -> the message or the event
// sequence (api_anthropic_respond.cpp), and the glue
// (api_anthropic_routes.cpp). Parsing and building are pure functions,
// tested without a model. Errors use Anthropic's envelope (error_body.h
// picks it by path): {"type":"error","error":{"type":..,"message":..}}.
//
// A stream is, in this order:
//   message_start (usage.input_tokens), ping,
//   per content block: content_block_start, content_block_delta
//     (text_delta | thinking_delta | input_json_delta)..., content_block_stop,
//   message_delta (stop_reason, stop_sequence, usage.output_tokens),
//   message_stop.
// Blocks come in the order the model writes them (thinking, text, tool_use).
//
// Choices where Anthropic leaves room (or where we differ):
//  - tool_use -> an assistant tool call (arguments stay an object);
//    tool_result -> a "tool" message with tool_call_id, placed before the
//    user's text of the same turn (is_error results start "Error: ");
//  - tool_choice "none" drops the tools, {"type":"tool"} keeps only that
//    tool (unknown name: 400); "any" offers the tools like "auto" (no
//    grammar forces a call);
//  - thinking {"type":"enabled"} sets the template's enable_thinking;
//    budget_tokens is not enforced; thinking blocks carry an empty signature;
//  - a final assistant message (prefill) is rendered as a finished turn,
//    not continued;
//  - image, document and server-tool blocks are 400: nothing here reads them;
//  - tool_use ids are the model's own (or generated "call_..." ones).
//
// Thread-safety: every function here is pure or only writes to the stream it
// is given; an EventWriter is one request's state, used by one thread at a
// time.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/completion_service.h"
#include "server/router.h"

namespace shimmy::server {

using OJson = nlohmann::ordered_json;

// Registers POST /v1/messages. `service` must outlive the router.
void AddAnthropicRoutes(Router& router, CompletionService& service);

namespace anthropic {

// ---- Parsing (api_anthropic_parse.cpp) ----------------------------------

struct MessagesRequest {
  std::string model;  // as the client wrote it (echoed back)
  CompletionRequest completion;
  bool stream = false;
};

// Errors name the field ("max_tokens: required", "messages[2].content[0]...").
Result<MessagesRequest> ParseMessagesRequest(const OJson& body);

// system (string, text blocks or null) + Anthropic messages -> OpenAI-shaped
// messages (see the header comment for the mapping).
Result<OJson> ConvertMessages(const OJson& system, const OJson& messages);

// [{name, description, input_schema}] -> [{"type":"function","function":
// {name, description, parameters}}], then tool_choice applied (may be null).
// An empty result means "no tools".
Result<OJson> ConvertTools(const OJson& tools, const OJson& tool_choice);

// ---- Answers (api_anthropic_respond.cpp) --------------------------------

// `prefix` + 24 random alphanumerics ("msg_...").
std::string NewId(std::string_view prefix);

// end_turn | max_tokens | stop_sequence | tool_use.
std::string StopReason(const ChoiceFinal& choice, const std::optional<std::string>& stop_sequence);

// Which stop sequence ended the output: `pieces` are the texts of the last
// tokens generated, in order. The generator stops on the token that
// completes a stop string, so a match must end inside the last piece; of
// several, the one that completes first (then the earliest listed) wins.
std::optional<std::string> MatchedStopSequence(const std::vector<std::string>& stops,
                                               std::span<const std::string> pieces);

// [thinking?, text?, tool_use...]; one empty text block when there is none.
OJson ContentBlocks(const ChoiceFinal& choice);

// The whole non-streamed answer.
OJson MessageJson(std::string_view id, std::string_view model, const CompletionFinal& final,
                  const std::optional<std::string>& stop_sequence);

// One request's service events -> SSE text, in the order above.
class EventWriter {
 public:
  EventWriter(std::string id, std::string model);

  // message_start and a ping.
  std::string Start(int input_tokens);
  // Block starts/stops and deltas for what `delta` carries.
  std::string Delta(const chat::OutputDelta& delta);
  // Closes the open block, then message_delta and message_stop.
  std::string Final(const CompletionFinal& final, const std::optional<std::string>& stop_sequence);
  // An "error" event, for failures after the stream began.
  std::string Error(boost::beast::http::status status, std::string_view message);

 private:
  enum class Block { kNone, kThinking, kText, kToolUse };
  std::string Open(Block block, OJson content_block);
  std::string Close();
  std::string Ensure(Block block);  // opens `block` unless it is the open one

  std::string id_;
  std::string model_;
  Block open_ = Block::kNone;
  int index_ = -1;       // of the open (or last) block
  int tool_index_ = -1;  // ToolCallDelta::index of the open tool_use block
};

// "event: NAME\ndata: {json}\n\n", never throwing on invalid UTF-8.
std::string Event(std::string_view name, const OJson& data);

}  // namespace anthropic
}  // namespace shimmy::server
