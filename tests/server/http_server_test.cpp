// The HTTP server's request handling: routing, error envelopes, limits,
// keep-alive and pipelining, over real loopback sockets.
#include <gtest/gtest.h>

#include <stdexcept>

#include "server/test_client.h"

namespace shimmy::testing {
namespace {

using server::Request;
using server::ResponseStream;

std::shared_ptr<server::Router> TestRouter() {
  auto router = std::make_shared<server::Router>();
  server::AddHealthRoute(*router);
  router->Add(http::verb::post, "/v1/echo",
              [](const Request& req, std::shared_ptr<ResponseStream> out) {
                out->Respond(http::status::ok, "application/json", req.body());
              });
  router->Add(http::verb::get, "/api/silent",
              [](const Request&, std::shared_ptr<ResponseStream>) {});
  router->Add(http::verb::get, "/api/throws", [](const Request&, std::shared_ptr<ResponseStream>) {
    throw std::runtime_error("boom");
  });
  router->AddPrefix(http::verb::post, "/api/models/",
                    [](const Request& req, std::shared_ptr<ResponseStream> out) {
                      out->RespondJson(http::status::ok, {{"path", out->path()},
                                                          {"target", std::string(req.target())}});
                    });
  return router;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = StartTestServer(TestRouter(), /*body_limit=*/1024); }
  uint16_t port() const { return server_->endpoint().port(); }
  std::unique_ptr<server::HttpServer> server_;
};

TEST_F(HttpServerTest, HealthIsOkJson) {
  TestClient c(port());
  const auto r = c.Request(http::verb::get, "/health");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::content_type], "application/json");
  EXPECT_EQ(Json(r), nlohmann::json({{"status", "ok"}}));
}

TEST_F(HttpServerTest, KeepAliveServesThreeRequestsOnOneConnection) {
  TestClient c(port());
  for (int i = 0; i < 3; ++i) {
    const auto r = c.Request(http::verb::post, "/v1/echo", "{\"i\":" + std::to_string(i) + "}");
    ASSERT_EQ(r.result(), http::status::ok);
    EXPECT_EQ(Json(r)["i"], i);
    EXPECT_TRUE(r.keep_alive());
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestClient c(port());
  std::string bytes;
  for (int i = 0; i < 3; ++i) {
    const std::string body = "{\"i\":" + std::to_string(i) + "}";
    bytes += "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body;
  }
  c.SendRaw(bytes);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Json(c.Read())["i"], i);
}

TEST_F(HttpServerTest, UnknownRouteIs404InEachEnvelope) {
  TestClient c(port());
  const auto openai = c.Request(http::verb::get, "/v1/nope");
  EXPECT_EQ(openai.result(), http::status::not_found);
  const auto oj = Json(openai);
  ASSERT_TRUE(oj["error"].is_object()) << openai.body();
  EXPECT_TRUE(oj["error"]["message"].is_string());
  EXPECT_TRUE(oj["error"]["param"].is_null());
  EXPECT_TRUE(oj["error"].contains("type") && oj["error"].contains("code"));

  const auto ollama = c.Request(http::verb::get, "/api/nope");
  EXPECT_EQ(ollama.result(), http::status::not_found);
  EXPECT_TRUE(Json(ollama)["error"].is_string()) << ollama.body();
}

TEST_F(HttpServerTest, WrongMethodIs405Json) {
  TestClient c(port());
  const auto r = c.Request(http::verb::post, "/health");
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
  EXPECT_TRUE(Json(r)["error"].is_string()) << r.body();
  const auto v1 = c.Request(http::verb::get, "/v1/echo");
  EXPECT_EQ(v1.result(), http::status::method_not_allowed);
  EXPECT_TRUE(Json(v1)["error"]["message"].is_string()) << v1.body();
}

TEST_F(HttpServerTest, PrefixRouteSeesItsPath) {
  TestClient c(port());
  const auto r = c.Request(http::verb::post, "/api/models/tiny:latest/load?x=1", "{}");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(Json(r)["path"], "/api/models/tiny:latest/load");
}

TEST_F(HttpServerTest, BodyOverLimitIs413AndServerKeepsServing) {
  {
    TestClient c(port());
    const auto r = c.Request(http::verb::post, "/v1/echo", std::string(2000, 'x'));
    EXPECT_EQ(r.result(), http::status::payload_too_large);
    EXPECT_TRUE(Json(r)["error"]["message"].is_string()) << r.body();
    EXPECT_FALSE(r.keep_alive());
  }
  TestClient c(port());
  EXPECT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
}

TEST_F(HttpServerTest, MalformedRequestIs400AndServerKeepsServing) {
  {
    TestClient c(port());
    c.SendRaw("THIS IS NOT HTTP\r\n\r\n");
    const auto r = c.Read();
    EXPECT_EQ(r.result(), http::status::bad_request);
    EXPECT_TRUE(Json(r)["error"].is_string()) << r.body();
  }
  TestClient c(port());
  EXPECT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
}

TEST_F(HttpServerTest, HeaderOverLimitIs431Json) {
  TestClient c(port());
  c.SendRaw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a') +
            "\r\n\r\n");
  const auto r = c.Read();
  EXPECT_EQ(r.result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(Json(r)["error"].is_string()) << r.body();
}

TEST_F(HttpServerTest, HandlerWithoutAnswerOrThrowingGives500Json) {
  TestClient c(port());
  const auto silent = c.Request(http::verb::get, "/api/silent");
  EXPECT_EQ(silent.result(), http::status::internal_server_error);
  EXPECT_TRUE(Json(silent)["error"].is_string()) << silent.body();
  const auto thrown = c.Request(http::verb::get, "/api/throws");
  EXPECT_EQ(thrown.result(), http::status::internal_server_error);
  EXPECT_TRUE(Json(thrown)["error"].is_string()) << thrown.body();
}

TEST_F(HttpServerTest, ExpectContinueGetsBody) {
  TestClient c(port());
  c.SendRaw(
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n");
  http::response<http::empty_body> cont;
  http::read(c.socket(), c.buffer(), cont);
  EXPECT_EQ(cont.result(), http::status::continue_);
  c.SendRaw("{\"a\":1}");
  EXPECT_EQ(Json(c.Read())["a"], 1);
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  TestClient c(port());
  EXPECT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
  server_->Stop(std::chrono::seconds(30));
  EXPECT_TRUE(c.ReadsEof());
}

TEST(HttpServerStart, AddressInUseIsAnError) {
  auto router = std::make_shared<server::Router>();
  auto first = StartTestServer(router);
  server::ServerOptions options;
  options.port = first->endpoint().port();
  auto second = server::HttpServer::Start(options, router);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find(std::to_string(options.port)), std::string::npos);
  options.address = "not-an-ip";
  EXPECT_FALSE(server::HttpServer::Start(options, router).ok());
}

}  // namespace
}  // namespace shimmy::testing
