// Error bodies: the one place where an HTTP status becomes a JSON error in
// the dialect the client speaks, chosen by the request path.
//   /v1/messages[/*]  Anthropic: {"type":"error","error":{"type":..,"message":..}}
//   /v1/*             OpenAI:    {"error":{"message":..,"type":..,"param":null,"code":..}}
//   other             Ollama:    {"error":".."}   (/api/*, /, /health, ...)
// Pure functions; thread-safe; cost is one small JSON object.
#pragma once

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>
#include <string_view>

namespace shimmy::server {

// `code` is OpenAI's machine-readable code ("model_not_found"); empty → null.
nlohmann::json ErrorBody(std::string_view path, boost::beast::http::status status,
                         std::string_view message, std::string_view code = {});

// OpenAI's error "type" for a status (invalid_request_error, server_error, ...).
std::string_view OpenAiErrorType(boost::beast::http::status status);

// Anthropic's error "type" for a status: invalid_request_error (4xx not
// below), authentication_error (401), permission_error (403),
// not_found_error (404), request_too_large (413), rate_limit_error (429),
// overloaded_error (503, 529: shimmy's queue is full), api_error (other 5xx).
std::string_view AnthropicErrorType(boost::beast::http::status status);

// True for the paths that answer in Anthropic's envelope.
bool IsAnthropicPath(std::string_view path);

// The path part of a request target ("/v1/models?x=1" → "/v1/models").
std::string_view TargetPath(std::string_view target);

}  // namespace shimmy::server
