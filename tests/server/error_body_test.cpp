#include "server/error_body.h"

#include <gtest/gtest.h>

namespace shimmy::server {
namespace http = boost::beast::http;
namespace {

TEST(ErrorBody, OpenAiEnvelopeOnV1) {
  const auto j = ErrorBody("/v1/chat/completions?x=1", http::status::not_found, "no such model",
                           "model_not_found");
  EXPECT_EQ(j["error"]["message"], "no such model");
  EXPECT_EQ(j["error"]["type"], "not_found_error");
  EXPECT_TRUE(j["error"]["param"].is_null());
  EXPECT_EQ(j["error"]["code"], "model_not_found");
  EXPECT_TRUE(ErrorBody("/v1/x", http::status::bad_request, "m")["error"]["code"].is_null());
  EXPECT_EQ(ErrorBody("/v1/x", http::status::bad_request, "m")["error"]["type"],
            "invalid_request_error");
  EXPECT_EQ(ErrorBody("/v1/x", http::status::service_unavailable, "m")["error"]["type"],
            "server_error");
}

TEST(ErrorBody, OllamaStringElsewhere) {
  EXPECT_EQ(ErrorBody("/api/chat", http::status::bad_request, "bad"),
            nlohmann::json({{"error", "bad"}}));
  EXPECT_EQ(ErrorBody("/v1x", http::status::not_found, "n"), nlohmann::json({{"error", "n"}}));
  EXPECT_EQ(ErrorBody("", http::status::bad_request, "b"), nlohmann::json({{"error", "b"}}));
}

TEST(ErrorBody, AnthropicEnvelopeOnMessages) {
  EXPECT_EQ(ErrorBody("/v1/messages", http::status::bad_request, "max_tokens: required"),
            nlohmann::json::parse(R"({"type":"error","error":{"type":"invalid_request_error",
                                      "message":"max_tokens: required"}})"));
  EXPECT_EQ(ErrorBody("/v1/messages/count_tokens?beta=true", http::status::not_found,
                      "m")["error"]["type"],
            "not_found_error");
  const std::pair<http::status, const char*> cases[] = {
      {http::status::unauthorized, "authentication_error"},
      {http::status::forbidden, "permission_error"},
      {http::status::payload_too_large, "request_too_large"},
      {http::status::too_many_requests, "rate_limit_error"},
      {http::status::internal_server_error, "api_error"},
      {http::status::service_unavailable, "overloaded_error"},
      {http::status::unprocessable_entity, "invalid_request_error"},
  };
  for (const auto& [status, type] : cases) {
    const auto j = ErrorBody("/v1/messages", status, "m");
    EXPECT_EQ(j["type"], "error");
    EXPECT_EQ(j["error"]["type"], type) << static_cast<int>(status);
    EXPECT_EQ(j["error"]["message"], "m");
    EXPECT_FALSE(j["error"].contains("code"));
  }
  // Neighbours keep OpenAI's envelope.
  const auto near = ErrorBody("/v1/messagesx", http::status::bad_request, "m");
  EXPECT_TRUE(near["error"].contains("param"));
  const auto openai = ErrorBody("/v1/chat/completions", http::status::bad_request, "m");
  EXPECT_TRUE(openai["error"].contains("param"));
  EXPECT_TRUE(IsAnthropicPath("/v1/messages?x=1"));
  EXPECT_FALSE(IsAnthropicPath("/api/messages"));
}

TEST(ErrorBody, TargetPath) {
  EXPECT_EQ(TargetPath("/v1/models?limit=2"), "/v1/models");
  EXPECT_EQ(TargetPath("/health"), "/health");
}

}  // namespace
}  // namespace shimmy::server
