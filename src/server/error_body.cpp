#include "server/error_body.h"

namespace shimmy::server {

namespace http = boost::beast::http;

std::string_view OpenAiErrorType(http::status status) {
  const unsigned code = static_cast<unsigned>(status);
  if (code == 401) return "authentication_error";
  if (code == 403) return "permission_error";
  if (code == 404) return "not_found_error";
  if (code == 429) return "rate_limit_error";
  if (code >= 500) return "server_error";
  return "invalid_request_error";
}

std::string_view AnthropicErrorType(http::status status) {
  const unsigned code = static_cast<unsigned>(status);
  if (code == 401) return "authentication_error";
  if (code == 403) return "permission_error";
  if (code == 404) return "not_found_error";
  if (code == 413) return "request_too_large";
  if (code == 429) return "rate_limit_error";
  if (code == 503 || code == 529) return "overloaded_error";
  if (code >= 500) return "api_error";
  return "invalid_request_error";
}

bool IsAnthropicPath(std::string_view path) {
  const std::string_view p = TargetPath(path);
  return p == "/v1/messages" || p.starts_with("/v1/messages/");
}

std::string_view TargetPath(std::string_view target) {
  const size_t q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

nlohmann::json ErrorBody(std::string_view path, http::status status, std::string_view message,
                         std::string_view code) {
  const std::string_view p = TargetPath(path);
  if (IsAnthropicPath(p)) {
    return {{"type", "error"},
            {"error", {{"type", AnthropicErrorType(status)}, {"message", message}}}};
  }
  if (p == "/v1" || p.starts_with("/v1/")) {
    return {{"error",
             {{"message", message},
              {"type", OpenAiErrorType(status)},
              {"param", nullptr},
              {"code", code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code)}}}};
  }
  return {{"error", message}};
}

}  // namespace shimmy::server
