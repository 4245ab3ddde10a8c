// The request gate: API key (Bearer or x-api-key, /health open, 401 in each
// envelope) and CORS (preflights, allowed/disallowed origins, headers on
// whole and streamed answers), unit by unit and over real sockets.
#include "server/security.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "server/test_client.h"

namespace shimmy::testing {
namespace {

using server::Request;
using server::ResponseStream;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kKey[] = "sk-test-0123456789abcdef";
constexpr char kOrigin[] = "http://app.example:3000";

TEST(ConstantTimeEquals, MatchesOnlyIdenticalStrings) {
  using server::ConstantTimeEquals;
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals(kKey, kKey));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_FALSE(ConstantTimeEquals("x", ""));
  const std::string key = kKey;
  for (size_t i = 0; i < key.size(); ++i) {  // one byte off anywhere, first to last
    std::string other = key;
    other[i] ^= 0x01;
    EXPECT_FALSE(ConstantTimeEquals(other, key)) << "byte " << i;
  }
  EXPECT_FALSE(ConstantTimeEquals(key.substr(0, key.size() - 1), key));  // a prefix
  EXPECT_FALSE(ConstantTimeEquals(key + "x", key));                      // longer
  EXPECT_FALSE(ConstantTimeEquals(key + '\0', key));  // a NUL is not an end marker
}

TEST(OriginMatches, GlobWithStar) {
  using server::OriginMatches;
  EXPECT_TRUE(OriginMatches("*", "https://anything.example"));
  EXPECT_TRUE(OriginMatches("http://localhost:*", "http://localhost:5173"));
  EXPECT_FALSE(OriginMatches("http://localhost:*", "http://localhost.evil.example:80"));
  EXPECT_TRUE(OriginMatches("https://*.example.com", "https://chat.example.com"));
  EXPECT_FALSE(OriginMatches("https://*.example.com", "https://example.com"));
  EXPECT_FALSE(OriginMatches("https://*.example.com", "https://chat.example.com.evil"));
  EXPECT_TRUE(OriginMatches(kOrigin, kOrigin));
  EXPECT_FALSE(OriginMatches(kOrigin, "http://app.example:3001"));
  EXPECT_FALSE(OriginMatches("", kOrigin));
}

TEST(DefaultCorsOrigins, AnyOnLoopbackNoneElsewhere) {
  for (const char* a : {"127.0.0.1", "127.0.0.2", "::1", "localhost", "::ffff:127.0.0.1"})
    EXPECT_EQ(server::DefaultCorsOrigins(a), std::vector<std::string>{"*"}) << a;
  for (const char* a : {"0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "not an address"})
    EXPECT_TRUE(server::DefaultCorsOrigins(a).empty()) << a;
}

std::shared_ptr<server::Router> GateRouter() {
  auto router = std::make_shared<server::Router>();
  server::AddHealthRoute(*router);
  router->Add(http::verb::get, "/v1/models",
              [](const Request&, std::shared_ptr<ResponseStream> out) {
                out->RespondJson(http::status::ok, {{"object", "list"}});
              });
  router->Add(http::verb::get, "/api/tags",
              [](const Request&, std::shared_ptr<ResponseStream> out) {
                out->RespondJson(http::status::ok, {{"models", nlohmann::json::array()}});
              });
  router->Add(http::verb::post, "/v1/stream",
              [](const Request&, std::shared_ptr<ResponseStream> out) {
                out->Begin(http::status::ok, "text/event-stream");
                out->Write("data: 1\n\n");
                out->End();
              });
  return router;
}

std::unique_ptr<server::HttpServer> StartGated(std::string api_key,
                                               std::vector<std::string> origins) {
  server::ServerOptions options;
  options.api_key = std::move(api_key);
  options.cors_origins = std::move(origins);
  options.access_log = [](const server::AccessRecord&) {};
  auto s = server::HttpServer::Start(options, GateRouter());
  if (!s) throw std::runtime_error(s.error().message());
  return std::move(s).value();
}

http::response<http::string_body> Call(uint16_t port, http::verb method, const std::string& target,
                                       const Headers& headers = {}) {
  TestClient c(port);
  http::request<http::string_body> req(method, target, 11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (method == http::verb::post) {
    req.set(http::field::content_type, "application/json");
    req.body() = "{}";
    req.prepare_payload();
  }
  http::write(c.socket(), req);
  return c.Read();
}

class ApiKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = StartGated(kKey, {}); }
  uint16_t port() const { return server_->endpoint().port(); }
  std::unique_ptr<server::HttpServer> server_;
};

TEST_F(ApiKeyTest, MissingOrWrongKeyIs401InThePathsEnvelope) {
  const std::string bearer = std::string("Bearer ") + kKey;
  const std::vector<Headers> refused = {
      {},
      {{"Authorization", "Bearer wrong"}},
      {{"Authorization", bearer.substr(0, bearer.size() - 1)}},  // a prefix of the key
      {{"Authorization", bearer + "x"}},
      {{"Authorization", std::string("Basic ") + kKey}},  // another scheme
      {{"Authorization", kKey}},                          // no scheme
      {{"x-api-key", "wrong"}},
      {{"x-api-key", ""}},
  };
  for (const Headers& h : refused) {
    const auto r = Call(port(), http::verb::get, "/v1/models", h);
    const std::string what = h.empty() ? "no header" : h[0].first + ": " + h[0].second;
    EXPECT_EQ(r.result(), http::status::unauthorized) << what;
    EXPECT_EQ(r[http::field::www_authenticate], "Bearer") << what;
    const auto body = Json(r);
    ASSERT_TRUE(body["error"].is_object()) << r.body();  // OpenAI's envelope on /v1
    EXPECT_EQ(body["error"]["type"], "authentication_error");
    EXPECT_EQ(body["error"]["code"], "invalid_api_key");
  }
  const auto ollama = Call(port(), http::verb::get, "/api/tags");
  EXPECT_EQ(ollama.result(), http::status::unauthorized);
  EXPECT_TRUE(Json(ollama)["error"].is_string()) << ollama.body();  // Ollama's envelope
}

TEST_F(ApiKeyTest, BearerOrXApiKeyIsLetThrough) {
  for (const Headers& h :
       std::vector<Headers>{{{"Authorization", std::string("Bearer ") + kKey}},
                            {{"Authorization", std::string("bearer  ") + kKey}},
                            {{"x-api-key", kKey}},
                            {{"Authorization", "Bearer wrong"}, {"x-api-key", kKey}}}) {
    const auto r = Call(port(), http::verb::get, "/v1/models", h);
    EXPECT_EQ(r.result(), http::status::ok) << h[0].second;
    EXPECT_EQ(Json(r)["object"], "list");
  }
}

TEST_F(ApiKeyTest, HealthAndPreflightNeedNoKeyButUnknownRoutesDo) {
  EXPECT_EQ(Call(port(), http::verb::get, "/health").result(), http::status::ok);
  EXPECT_EQ(Call(port(), http::verb::get, "/health?verbose=1").result(), http::status::ok);
  // /ui is open too (this router has no page there, so the gate passes it to a 404).
  EXPECT_EQ(Call(port(), http::verb::get, "/ui").result(), http::status::not_found);
  EXPECT_EQ(Call(port(), http::verb::options, "/v1/models").result(), http::status::no_content);
  // Routes are not revealed to a client without the key.
  EXPECT_EQ(Call(port(), http::verb::get, "/v1/no-such-route").result(),
            http::status::unauthorized);
  EXPECT_EQ(Call(port(), http::verb::post, "/v1/stream").result(), http::status::unauthorized);
}

TEST(Cors, PreflightFromAnAllowedOriginIs204WithHeaders) {
  auto server = StartGated(kKey, {"http://localhost:*", kOrigin});
  const auto r = Call(server->endpoint().port(), http::verb::options, "/v1/chat/completions",
                      {{"Origin", kOrigin},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "content-type, authorization"}});
  EXPECT_EQ(r.result(), http::status::no_content);
  EXPECT_EQ(r[http::field::access_control_allow_origin], kOrigin);
  const std::string methods(r[http::field::access_control_allow_methods]);
  for (const char* m : {"GET", "POST", "DELETE", "OPTIONS", "HEAD"})
    EXPECT_NE(methods.find(m), std::string::npos) << methods;
  EXPECT_EQ(r[http::field::access_control_allow_headers], "content-type, authorization");
  EXPECT_FALSE(r[http::field::access_control_max_age].empty());
  EXPECT_TRUE(r.body().empty());

  // Without Access-Control-Request-Headers: a fixed list that covers every API's headers.
  const auto fixed = Call(server->endpoint().port(), http::verb::options, "/v1/messages",
                          {{"Origin", "http://localhost:5173"}});
  EXPECT_EQ(fixed.result(), http::status::no_content);
  EXPECT_EQ(fixed[http::field::access_control_allow_origin], "http://localhost:5173");
  const std::string allowed(fixed[http::field::access_control_allow_headers]);
  for (const char* h : {"authorization", "content-type", "x-api-key", "anthropic-version"})
    EXPECT_NE(allowed.find(h), std::string::npos) << allowed;
}

TEST(Cors, PreflightFromAnotherOriginIs403WithoutAllowHeaders) {
  auto server = StartGated("", {kOrigin});
  const auto r =
      Call(server->endpoint().port(), http::verb::options, "/v1/models",
           {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_EQ(r.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(r.count(http::field::access_control_allow_methods), 0u);
  EXPECT_TRUE(Json(r)["error"].is_object()) << r.body();
}

TEST(Cors, NormalAnswersCarryAllowOriginOnlyForAllowedOrigins) {
  auto server = StartGated("", {kOrigin});
  const uint16_t port = server->endpoint().port();
  const auto allowed = Call(port, http::verb::get, "/v1/models", {{"Origin", kOrigin}});
  EXPECT_EQ(allowed.result(), http::status::ok);
  EXPECT_EQ(allowed[http::field::access_control_allow_origin], kOrigin);
  EXPECT_EQ(allowed[http::field::vary], "Origin");

  // Served all the same (the browser hides it), without CORS headers.
  const auto other =
      Call(port, http::verb::get, "/v1/models", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.result(), http::status::ok);
  EXPECT_EQ(other.count(http::field::access_control_allow_origin), 0u);

  const auto none = Call(port, http::verb::get, "/v1/models");
  EXPECT_EQ(none.count(http::field::access_control_allow_origin), 0u);

  // No origins configured: no CORS at all.
  auto closed = StartGated("", {});
  const auto r =
      Call(closed->endpoint().port(), http::verb::get, "/v1/models", {{"Origin", kOrigin}});
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r.count(http::field::access_control_allow_origin), 0u);
}

TEST(Cors, StreamedAnswerAndRefusalCarryAllowOrigin) {
  auto server = StartGated(kKey, {"*"});
  const uint16_t port = server->endpoint().port();
  const auto stream =
      Call(port, http::verb::post, "/v1/stream", {{"Origin", kOrigin}, {"x-api-key", kKey}});
  EXPECT_EQ(stream.result(), http::status::ok);
  EXPECT_TRUE(stream.chunked());
  EXPECT_EQ(stream.body(), "data: 1\n\n");
  EXPECT_EQ(stream[http::field::access_control_allow_origin], kOrigin);
  EXPECT_EQ(stream[http::field::vary], "Origin");

  // A page can read why it was refused.
  const auto refused = Call(port, http::verb::post, "/v1/stream", {{"Origin", kOrigin}});
  EXPECT_EQ(refused.result(), http::status::unauthorized);
  EXPECT_EQ(refused[http::field::access_control_allow_origin], kOrigin);
}

}  // namespace
}  // namespace shimmy::testing
