// The HTTP server's request handling: routing, error envelopes, limits,
// keep-alive and pipelining, over real loopback sockets.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <vector>

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

// Access log: records reach the sink on I/O threads after the client may
// already have read the answer, so tests wait on a condition variable.
class RecordCollector {
 public:
  server::AccessLogSink Sink() {
    return [this](const server::AccessRecord& r) {
      std::lock_guard lk(mu_);
      records_.push_back(r);
      cv_.notify_all();
    };
  }
  // The first `n` records, once there are that many (empty after 60 s).
  std::vector<server::AccessRecord> WaitFor(size_t n) {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, std::chrono::seconds(60), [&] { return records_.size() >= n; }))
      return {};
    return records_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<server::AccessRecord> records_;
};

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_ = TestRouter();
    router_->Add(http::verb::post, "/v1/stream",
                 [](const Request&, std::shared_ptr<ResponseStream> out) {
                   out->Begin(http::status::ok, "application/x-ndjson");
                   out->Write("abc");
                   out->Write("defg");
                   out->End();
                 });
    router_->Add(http::verb::post, "/v1/held",
                 [this](const Request&, std::shared_ptr<ResponseStream> out) {
                   out->Begin(http::status::ok, "text/event-stream");
                   out->Write("data: 1\n\n");
                   held_.set_value(out);
                 });
    server::ServerOptions options;
    options.limits.body_limit = 1024;
    options.access_log = log_.Sink();
    auto s = server::HttpServer::Start(options, router_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(s).value();
  }
  uint16_t port() const { return server_->endpoint().port(); }

  std::shared_ptr<server::Router> router_;
  RecordCollector log_;
  std::promise<std::shared_ptr<ResponseStream>> held_;
  std::unique_ptr<server::HttpServer> server_;
};

TEST_F(AccessLogTest, OneRecordPerRequestWithStatusAndSizes) {
  TestClient c(port());
  ASSERT_EQ(c.Request(http::verb::get, "/health?x=1").result(), http::status::ok);
  ASSERT_EQ(c.Request(http::verb::get, "/api/nope").result(), http::status::not_found);
  const std::string body = "{\"hello\":\"world\"}";
  ASSERT_EQ(c.Request(http::verb::post, "/v1/echo", body).result(), http::status::ok);
  const auto stream = c.Request(http::verb::post, "/v1/stream", "{}");
  ASSERT_EQ(stream.body(), "abcdefg");

  const auto records = log_.WaitFor(4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].method, "GET");
  EXPECT_EQ(records[0].path, "/health");  // no query string
  EXPECT_EQ(records[0].route, "/health");
  EXPECT_EQ(records[0].status, 200);
  EXPECT_TRUE(records[0].remote.starts_with("127.0.0.1:")) << records[0].remote;
  EXPECT_FALSE(records[0].streamed);
  EXPECT_FALSE(records[0].cancelled);

  EXPECT_EQ(records[1].status, 404);
  EXPECT_EQ(records[1].route, "other");

  EXPECT_EQ(records[2].method, "POST");
  EXPECT_EQ(records[2].status, 200);
  EXPECT_EQ(records[2].request_bytes, body.size());
  EXPECT_EQ(records[2].response_bytes, body.size());  // the echo

  EXPECT_TRUE(records[3].streamed);
  EXPECT_FALSE(records[3].cancelled);
  EXPECT_EQ(records[3].response_bytes, 7u);  // chunk payloads, not framing
  const std::string line = server::FormatAccessLine(records[3]);
  EXPECT_NE(line.find("\"POST /v1/stream\" 200 7B"), std::string::npos) << line;
  EXPECT_NE(line.find(" stream"), std::string::npos) << line;
}

TEST_F(AccessLogTest, CancelledStreamIsLoggedOnce) {
  {
    TestClient c(port());
    c.Send(http::verb::post, "/v1/held", "{}");
    http::response_parser<http::string_body> p;
    http::read_header(c.socket(), c.buffer(), p);  // the head is out: status 200 sent
    ASSERT_EQ(p.get().result(), http::status::ok);
  }  // the client goes away mid-stream
  auto future = held_.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  auto out = future.get();
  const auto records = log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].path, "/v1/held");
  EXPECT_EQ(records[0].status, 200);
  EXPECT_TRUE(records[0].streamed);
  EXPECT_TRUE(records[0].cancelled);
  EXPECT_TRUE(out->cancelled());
  EXPECT_FALSE(out->Write("data: 2\n\n"));
  out.reset();  // ending the stream now logs nothing more

  TestClient c(port());  // a later request is the second record, not a duplicate
  ASSERT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
  const auto after = log_.WaitFor(2);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[1].path, "/health");
}

TEST_F(AccessLogTest, RefusedRequestsAreLogged) {
  {
    TestClient c(port());
    EXPECT_EQ(c.Request(http::verb::post, "/v1/echo", std::string(2000, 'x')).result(),
              http::status::payload_too_large);
  }
  const auto records = log_.WaitFor(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, 413);
  EXPECT_EQ(records[0].path, "/v1/echo");
}

TEST(RouterRouteLabel, IsTheMatchedPatternWhateverTheMethod) {
  const auto router = TestRouter();
  EXPECT_EQ(router->RouteLabel("/health"), "/health");
  EXPECT_EQ(router->RouteLabel("/v1/echo"), "/v1/echo");
  EXPECT_EQ(router->RouteLabel("/api/models/tiny:latest/load"), "/api/models/*");
  EXPECT_EQ(router->RouteLabel("/api/models"), "other");  // not under the prefix
  EXPECT_EQ(router->RouteLabel("/random/path/123"), "other");
}

TEST(AccessLogLine, EscapesWhatTheClientSent) {
  server::AccessRecord r;
  r.remote = "[::1]:4000";
  r.method = "GET";
  r.path = "/a\"b\nFAKE 200";
  r.status = 200;
  r.response_bytes = 12;
  r.duration = std::chrono::microseconds(1500);
  const std::string line = server::FormatAccessLine(r);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line, "[::1]:4000 \"GET /a\\x22b\\x0aFAKE 200\" 200 12B 1.5ms");
}

}  // namespace
}  // namespace shimmy::testing
