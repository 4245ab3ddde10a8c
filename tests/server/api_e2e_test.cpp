// The whole server in one process over real sockets: registry -> pool ->
// CompletionService -> routes -> HttpServer, with fixture models. These are
// the checks for PRODUCT.md section 1 that need a model: no reload between
// requests, non-streaming by default, real usage and finish_reason, chunks
// that arrive while generation runs, whole UTF-8 in every chunk, JSON
// errors, batching that does not change greedy output, and a disconnect that
// frees its slot.
#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <future>
#include <thread>

#include "common/fixtures.h"
#include "common/run_command.h"
#include "discovery/classify.h"
#include "engine/generator.h"
#include "server/api_anthropic.h"
#include "server/api_ollama.h"
#include "server/api_openai.h"
#include "server/completion_service.h"
#include "server/engine_metrics.h"
#include "server/metrics_route.h"
#include "server/model_stack.h"
#include "server/test_client.h"
#include "server/ws_generate.h"

namespace shimmy::testing {
namespace {

using nlohmann::json;

// Two models behind every dialect, the WebSocket route and /metrics.
struct Stack : ModelStack {
  explicit Stack(int parallel = 4)
      : ModelStack({FixtureEntry("stories", "stories260K.gguf"),
                    FixtureEntry("qwen-tiny", "tiny-random-qwen2-Q4_K_M.gguf")},
                   parallel,
                   [](server::Router& r, server::CompletionService& s,
                      const runtime::ModelPool& pool) {
                     server::AddOpenAiRoutes(r, s);
                     server::AddOllamaRoutes(r, s, "test");
                     server::AddAnthropicRoutes(r, s);
                     server::AddWebSocketGenerate(r, s);
                     server::AddMetricsRoute(r, [&pool](server::PrometheusWriter& w) {
                       server::CollectEngineMetrics(pool, w);
                     });
                   }),
        port(ModelStack::port()) {}
  uint16_t port;
};

// Well-formed UTF-8 (no cut characters, no stray continuation bytes).
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80         ? 1
                       : (b >> 5) == 6  ? 2
                       : (b >> 4) == 14 ? 3
                       : (b >> 3) == 30 ? 4
                                        : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += len;
  }
  return true;
}

// "data: {...}" payloads of an SSE body, [DONE] included as a string.
std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

std::string StreamedText(const std::string& body, std::string* finish = nullptr) {
  std::string text;
  for (const auto& d : SseData(body)) {
    if (d == "[DONE]") continue;
    json j = json::parse(d);
    for (const auto& c : j["choices"]) {
      if (c.contains("text")) text += c["text"].get<std::string>();
      if (c.contains("delta") && c["delta"].contains("content") &&
          c["delta"]["content"].is_string())
        text += c["delta"]["content"].get<std::string>();
      if (finish != nullptr && c["finish_reason"].is_string()) *finish = c["finish_reason"];
    }
  }
  return text;
}

TEST(ApiEndToEnd, NonStreamingByDefaultWithRealUsageAndNoReload) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  TestClient c(s.port);
  const json body = {{"model", "stories"},
                     {"messages", {{{"role", "user"}, {"content", "Tell me a story"}}}},
                     {"max_tokens", 7},
                     {"temperature", 0}};
  auto r = c.Request(http::verb::post, "/v1/chat/completions", body.dump());
  ASSERT_EQ(r.result_int(), 200) << r.body();
  EXPECT_EQ(r[http::field::content_type], "application/json");
  json j = Json(r);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 7);
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 3);
  EXPECT_EQ(j["usage"]["total_tokens"].get<int>(), j["usage"]["prompt_tokens"].get<int>() + 7);
  auto again = c.Request(http::verb::post, "/v1/chat/completions", body.dump());
  EXPECT_EQ(Json(again)["choices"][0]["message"]["content"], j["choices"][0]["message"]["content"]);
  EXPECT_EQ(s.pool->stats().loads, 1u);  // the second request did not reload
  // The second request reused the first one's prompt from the cache.
  EXPECT_GT(Json(again)["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), 0);
}

TEST(ApiEndToEnd, ThirtyTwoStreamsOverTwoModelsEqualLoneGreedyRuns) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s(4);
  const std::vector<std::string> prompts = {"Once upon a time", "The little dog", "Lily said",
                                            "A big red ball",   "Tom and Sue",    "The sun"};
  struct Case {
    std::string model, file, prompt;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 32; ++i) {
    const bool first = i % 2 == 0;
    cases.push_back({first ? "stories" : "qwen-tiny",
                     first ? "stories260K.gguf" : "tiny-random-qwen2-Q4_K_M.gguf",
                     prompts[static_cast<size_t>(i) % prompts.size()]});
  }
  std::vector<std::future<std::pair<std::string, std::string>>> results;
  for (const Case& k : cases) {
    results.push_back(std::async(std::launch::async, [&s, k] {
      TestClient c(s.port);
      const json body = {{"model", k.model},
                         {"prompt", k.prompt},
                         {"max_tokens", 20},
                         {"temperature", 0},
                         {"stream", true}};
      auto r = c.Request(http::verb::post, "/v1/completions", body.dump());
      std::string finish;
      std::string text = StreamedText(r.body(), &finish);
      return std::pair{text, finish};
    }));
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    auto [text, finish] = results[i].get();
    auto inst = Instance::Create({.path = (FixturesDir() / "models" / cases[i].file).string(),
                                  .n_ctx = 256,
                                  .n_threads = 1});
    ASSERT_TRUE(inst.ok());
    GenerateRequest req;
    req.prompt =
        (*inst)->tokenizer().Encode(cases[i].prompt, {.add_special = true, .parse_special = true});
    req.max_tokens = 20;
    req.sampling.temperature = 0;
    auto lone = Generate(**inst, req);
    ASSERT_TRUE(lone.ok());
    EXPECT_EQ(text, lone->text) << "request " << i << " (" << cases[i].model << ")";
    EXPECT_EQ(finish, lone->finish_reason) << "request " << i;
  }
  EXPECT_EQ(s.pool->stats().loads, 2u);
}

TEST(ApiEndToEnd, FirstChunkArrivesWhileGenerationRuns) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s(1);
  TestClient c(s.port);
  const json body = {{"model", "stories"}, {"prompt", "Once upon a time"},
                     {"max_tokens", 200},  {"temperature", 0},
                     {"stream", true},     {"stop", json::array()}};
  c.Send(http::verb::post, "/v1/completions", body.dump());
  // Read raw bytes until the first SSE event is complete.
  std::string got;
  char buf[4096];
  while (got.find("data: ") == std::string::npos ||
         got.find("\n\n", got.find("data: ")) == std::string::npos) {
    const size_t n = c.socket().read_some(net::buffer(buf));
    got.append(buf, n);
  }
  // The model is still generating: the chunk was sent as it was produced,
  // not at the end.
  auto loaded = s.pool->Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  const SchedulerStats st = loaded[0]->scheduler().Stats();
  EXPECT_EQ(st.active, 1) << "generation already over when the first chunk arrived";
  EXPECT_LT(st.generated_tokens, 200u);
}

TEST(ApiEndToEnd, DisconnectCancelsTheSequenceAndFreesItsSlot) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s(1);
  {
    TestClient c(s.port);
    const json body = {{"model", "stories"},
                       {"prompt", "Once upon a time"},
                       {"max_tokens", 240},
                       {"temperature", 0},
                       {"stream", true}};
    c.Send(http::verb::post, "/v1/completions", body.dump());
    char buf[256];
    c.socket().read_some(net::buffer(buf));  // the stream has begun
  }                                          // the client goes away
  auto loaded = s.pool->Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  // The server notices the closed socket on its next read; the scheduler
  // then stops the job within one step. Wait for that state change with a
  // deadline (the only way to observe it from outside).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  SchedulerStats st;
  do {
    st = loaded[0]->scheduler().Stats();
    if (st.jobs_cancelled == 1 && st.active == 0) break;
    std::this_thread::yield();
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(st.jobs_cancelled, 1u);
  EXPECT_EQ(st.active, 0);
  EXPECT_LT(st.generated_tokens, 240u);
  // The freed slot serves the next request.
  TestClient c2(s.port);
  auto r = c2.Request(http::verb::post, "/v1/completions",
                      json({{"model", "stories"}, {"prompt", "Hi"}, {"max_tokens", 3}}).dump());
  EXPECT_EQ(r.result_int(), 200) << r.body();
}

TEST(ApiEndToEnd, StreamedChunksAreWholeUtf8) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  TestClient c(s.port);
  // The stories vocabulary has no CJK tokens: the schema forces a string
  // spelt with byte tokens, one third of a character each.
  const json schema = {{"enum", {"你好世界, ça va? 🙂"}}};
  const json body = {
      {"model", "stories"},
      {"messages", {{{"role", "user"}, {"content", "Say hello"}}}},
      {"max_tokens", 60},
      {"temperature", 0},
      {"stream", true},
      {"response_format", {{"type", "json_schema"}, {"json_schema", {{"schema", schema}}}}}};
  auto r = c.Request(http::verb::post, "/v1/chat/completions", body.dump());
  ASSERT_EQ(r.result_int(), 200) << r.body();
  int chunks = 0;
  std::string all;
  for (const auto& d : SseData(r.body())) {
    if (d == "[DONE]") continue;
    json j = json::parse(d);  // throws on invalid UTF-8 inside
    for (const auto& ch : j["choices"]) {
      if (ch["delta"].contains("content") && ch["delta"]["content"].is_string()) {
        const std::string piece = ch["delta"]["content"];
        EXPECT_TRUE(IsValidUtf8(piece)) << "chunk " << chunks;
        all += piece;
        ++chunks;
      }
    }
  }
  EXPECT_EQ(all, "\"你好世界, ça va? 🙂\"");
  EXPECT_GT(chunks, 3);
}

TEST(ApiEndToEnd, ErrorsAreJsonWithTheRightStatus) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  TestClient c(s.port);
  auto unknown = c.Request(
      http::verb::post, "/v1/chat/completions",
      json({{"model", "nope"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}).dump());
  EXPECT_EQ(unknown.result_int(), 404) << unknown.body();
  EXPECT_NE(Json(unknown)["error"]["message"].get<std::string>().find("stories"),
            std::string::npos);
  auto ollama_unknown = c.Request(http::verb::post, "/api/generate",
                                  json({{"model", "nope"}, {"prompt", "x"}}).dump());
  EXPECT_EQ(ollama_unknown.result_int(), 404);
  EXPECT_TRUE(Json(ollama_unknown)["error"].is_string()) << ollama_unknown.body();

  auto bad = c.Request(http::verb::post, "/v1/chat/completions", "{not json");
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_TRUE(Json(bad)["error"].is_object());

  std::string long_prompt;
  for (int i = 0; i < 300; ++i) long_prompt += "dog ";
  auto too_long = c.Request(http::verb::post, "/v1/completions",
                            json({{"model", "stories"}, {"prompt", long_prompt}}).dump());
  EXPECT_EQ(too_long.result_int(), 400) << too_long.body();
  const std::string msg = Json(too_long)["error"]["message"];
  EXPECT_NE(msg.find("256"), std::string::npos) << msg;  // says the numbers
}

// The load counter proves "no reload between requests" from outside, and
// the whole exposition (with a model resident) must satisfy promtool.
TEST(ApiEndToEnd, MetricsCountOneLoadAndPassPromtool) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  TestClient c(s.port);
  for (int i = 0; i < 3; ++i) {
    auto r = c.Request(http::verb::post, "/api/generate",
                       json({{"model", "stories"},
                             {"prompt", "Hi"},
                             {"stream", false},
                             {"options", {{"num_predict", 3}}}})
                           .dump());
    ASSERT_EQ(r.result_int(), 200) << r.body();
  }
  auto m = c.Request(http::verb::get, "/metrics");
  ASSERT_EQ(m.result_int(), 200);
  const std::string text = m.body();
  EXPECT_NE(text.find("shimmy_model_loads_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shimmy_generated_tokens_total{model=\"stories\"} 9\n"), std::string::npos)
      << text;
  if (RunCommand("command -v promtool >/dev/null 2>&1").exit_code != 0) {
    GTEST_SKIP() << "promtool not installed (scripts/bootstrap.sh installs it)";
  }
  const CommandOutput r = RunCommand("promtool check metrics 2>&1", text);
  EXPECT_EQ(r.exit_code, 0) << r.out << "\n" << text;
}

// Two generations over one WebSocket: the deltas of each add up to what the
// HTTP route answers for the same request, and usage/finish come in "done".
TEST(ApiEndToEnd, WebSocketGenerateStreamsDeltasThenDone) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  const json request = {
      {"model", "stories"}, {"prompt", "Once upon a time"}, {"max_tokens", 12}, {"temperature", 0}};
  TestClient http_client(s.port);
  auto whole = http_client.Request(http::verb::post, "/v1/completions", request.dump());
  ASSERT_EQ(whole.result_int(), 200) << whole.body();
  const std::string expected = Json(whole)["choices"][0]["text"];

  net::io_context ioc;
  boost::beast::websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port));
  ws.handshake("127.0.0.1", "/ws/generate");
  for (int round = 0; round < 2; ++round) {
    ws.write(net::buffer(request.dump()));
    std::string text;
    json done;
    for (;;) {
      boost::beast::flat_buffer buf;
      ws.read(buf);
      const json e = json::parse(boost::beast::buffers_to_string(buf.data()));
      if (e["type"] == "delta" && e.contains("content")) text += e["content"].get<std::string>();
      if (e["type"] == "error") FAIL() << e.dump();
      if (e["type"] == "done") {
        done = e;
        break;
      }
    }
    EXPECT_EQ(text, expected) << "round " << round;
    EXPECT_EQ(done["finish_reason"], "length");
    EXPECT_EQ(done["usage"]["completion_tokens"], 12);
  }
  ws.write(net::buffer(std::string("not json")));
  boost::beast::flat_buffer buf;
  ws.read(buf);
  EXPECT_EQ(json::parse(boost::beast::buffers_to_string(buf.data()))["status"], 400);
  ws.close(boost::beast::websocket::close_code::normal);
}

}  // namespace
}  // namespace shimmy::testing
