// Small pieces every API dialect (OpenAI, Ollama, Anthropic) needs: reading
// the JSON body, answering a CompletionError, and stream framing.
// Pure functions apart from writing to the given stream; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/completion_service.h"
#include "server/response_stream.h"
#include "server/router.h"

namespace shimmy::server {

// The request body as a JSON object. On failure (not JSON, not an object)
// answers 400 in the path's envelope and returns nullopt.
std::optional<nlohmann::json> ParseJsonBody(const Request& request, ResponseStream& out);

// Answers `error` as a whole response (the stream has not begun), with
// Retry-After on 429/503.
void RespondCompletionError(ResponseStream& out, const CompletionError& error);

// Server-sent event framing: "data: {json}\n\n", "event: NAME\ndata: {json}\n\n".
std::string SseData(const nlohmann::json& body);
std::string SseEvent(std::string_view event, const nlohmann::json& body);
// One NDJSON line: "{json}\n".
std::string NdjsonLine(const nlohmann::json& body);

// "stop": a string or an array of strings (null/absent: none). Empty
// strings are dropped. Error names the field.
Result<std::vector<std::string>> ParseStopField(const nlohmann::json& value,
                                                std::string_view field = "stop");

}  // namespace shimmy::server
