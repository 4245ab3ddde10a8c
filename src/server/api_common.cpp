#include "server/api_common.h"

namespace shimmy::server {

using nlohmann::json;

std::optional<json> ParseJsonBody(const Request& request, ResponseStream& out) {
  json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    out.RespondError(http::status::bad_request, "the request body is not valid JSON",
                     "invalid_json");
    return std::nullopt;
  }
  if (!body.is_object()) {
    out.RespondError(http::status::bad_request, "the request body must be a JSON object",
                     "invalid_request");
    return std::nullopt;
  }
  return body;
}

void RespondCompletionError(ResponseStream& out, const CompletionError& error) {
  if (error.status == http::status::too_many_requests ||
      error.status == http::status::service_unavailable) {
    out.SetHeader("Retry-After", "1");
  }
  out.RespondError(error.status, error.message, error.code);
}

std::string SseData(const json& body) { return "data: " + body.dump() + "\n\n"; }

std::string SseEvent(std::string_view event, const json& body) {
  std::string s = "event: ";
  s += event;
  s += "\ndata: ";
  s += body.dump();
  s += "\n\n";
  return s;
}

std::string NdjsonLine(const json& body) { return body.dump() + "\n"; }

Result<std::vector<std::string>> ParseStopField(const json& value, std::string_view field) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (value.is_string()) {
    if (!value.get_ref<const std::string&>().empty()) out.push_back(value.get<std::string>());
    return out;
  }
  if (value.is_array()) {
    for (const json& v : value) {
      if (!v.is_string())
        return Error(std::string(field) + " must be a string or a list of strings");
      if (!v.get_ref<const std::string&>().empty()) out.push_back(v.get<std::string>());
    }
    return out;
  }
  return Error(std::string(field) + " must be a string or a list of strings");
}

}  // namespace shimmy::server
