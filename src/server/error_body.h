// Error bodies: the one place where an HTTP status becomes a JSON error in
// the dialect the client speaks, chosen by the request path.
//   /v1/*  OpenAI:  {"error":{"message":..,"type":..,"param":null,"code":..}}
//   other  Ollama:  {"error":".."}   (/api/*, /, /health, ...)
// Pure functions; thread-safe; cost is one small JSON object.
// TODO(issue 6): Anthropic's {"type":"error","error":{...}} on /v1/messages.
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

// The path part of a request target ("/v1/models?x=1" → "/v1/models").
std::string_view TargetPath(std::string_view target);

}  // namespace shimmy::server
