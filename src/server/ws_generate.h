// WebSocket /ws/generate: a long-lived connection for many generations,
// one at a time, without HTTP framing per request.
//
// Client -> server, text frames, JSON:
//   {"model": "...", "messages": [...], ...}   a chat turn (OpenAI chat fields)
//   {"model": "...", "prompt": "...", ...}     a raw completion (OpenAI completion fields)
//   {"type": "cancel"}                          stops the running generation
// Server -> client, one text frame per event:
//   {"type": "start", "model": "...", "prompt_tokens": N}
//   {"type": "delta", "content": "...", "reasoning": "...", "tool_calls": [...]}
//   {"type": "done", "finish_reason": "stop|length|tool_calls|cancelled",
//    "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}
//   {"type": "error", "status": 400, "message": "..."}
// A request while one runs gets an error event (the running one goes on).
// Closing the socket cancels the running generation within one step.
// The API key, when set, is checked on the upgrade request like any route.
#pragma once

#include "server/completion_service.h"
#include "server/router.h"

namespace shimmy::server {

void AddWebSocketGenerate(Router& router, CompletionService& service);

}  // namespace shimmy::server
