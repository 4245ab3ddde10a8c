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

TEST(ErrorBody, TargetPath) {
  EXPECT_EQ(TargetPath("/v1/models?limit=2"), "/v1/models");
  EXPECT_EQ(TargetPath("/health"), "/health");
}

}  // namespace
}  // namespace shimmy::server
