// The Ollama and Anthropic routes over real sockets with fixture models:
// registry -> pool -> CompletionService -> routes -> HttpServer. Greedy
// sampling makes answers comparable between the streamed and the whole form.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <sstream>
#include <thread>

#include "common/fixtures.h"
#include "discovery/classify.h"
#include "server/api_anthropic.h"
#include "server/api_ollama.h"
#include "server/completion_service.h"
#include "server/model_stack.h"
#include "server/test_client.h"

namespace shimmy::testing {
namespace {

using nlohmann::json;

// stories260K behind the Ollama and Anthropic routes.
struct Stack : ModelStack {
  Stack()
      : ModelStack({FixtureEntry("stories:latest", "stories260K.gguf")}, 2,
                   [](server::Router& r, server::CompletionService& s, const runtime::ModelPool&) {
                     server::AddOllamaRoutes(r, s, "0.0.0-test");
                     server::AddAnthropicRoutes(r, s);
                   }) {}
};

std::vector<json> NdjsonLines(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

double Norm(const json& v) {
  double s = 0;
  for (const json& x : v) s += x.get<double>() * x.get<double>();
  return std::sqrt(s);
}

const json kGreedy = {{"temperature", 0}, {"num_predict", 12}};

TEST(OllamaE2E, RootVersionTagsAndShow) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  auto root = s.Get("/");
  EXPECT_EQ(root.result(), http::status::ok);
  EXPECT_EQ(root.body(), "Ollama is running");
  TestClient c(s.server->endpoint().port());
  EXPECT_EQ(c.Request(http::verb::head, "/").result(), http::status::ok);
  EXPECT_EQ(Json(s.Get("/api/version")), json({{"version", "0.0.0-test"}}));

  const json tags = Json(s.Get("/api/tags"));
  ASSERT_EQ(tags["models"].size(), 1u);
  EXPECT_EQ(tags["models"][0]["name"], "stories:latest");
  EXPECT_EQ(tags["models"][0]["details"]["family"], "llama");
  EXPECT_EQ(tags["models"][0]["size"],
            std::filesystem::file_size(FixturesDir() / "models" / "stories260K.gguf"));

  auto show = s.Post("/api/show", {{"name", "stories"}});  // tag-less, legacy field
  ASSERT_EQ(show.result(), http::status::ok) << show.body();
  EXPECT_EQ(Json(show)["model_info"]["general.architecture"], "llama");
  EXPECT_EQ(Json(show)["capabilities"][0], "completion");
  auto missing = s.Post("/api/show", {{"model", "nope"}});
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(Json(missing), json({{"error", "model 'nope' not found"}}));
  EXPECT_EQ(s.Post("/api/show", json::object()).result(), http::status::bad_request);
  TestClient bad(s.server->endpoint().port());
  auto not_json = bad.Request(http::verb::post, "/api/chat", "{oops");
  EXPECT_EQ(not_json.result(), http::status::bad_request);
  EXPECT_TRUE(Json(not_json)["error"].is_string());
}

TEST(OllamaE2E, GenerateStreamsNdjsonThatMatchesTheWholeAnswer) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  const json req = {
      {"model", "stories"}, {"prompt", "Once upon a time"}, {"raw", true}, {"options", kGreedy}};
  auto streamed = s.Post("/api/generate", req);  // stream defaults to true
  ASSERT_EQ(streamed.result(), http::status::ok) << streamed.body();
  EXPECT_EQ(streamed[http::field::content_type], "application/x-ndjson");
  const auto lines = NdjsonLines(streamed.body());
  ASSERT_GE(lines.size(), 2u);
  std::string text;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["done"], false);
    EXPECT_EQ(lines[i]["model"], "stories");  // echoed as sent
    text += lines[i]["response"].get<std::string>();
  }
  const json& last = lines.back();
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "length");
  EXPECT_EQ(last["eval_count"], 12);
  EXPECT_GT(last["prompt_eval_count"].get<int>(), 0);
  EXPECT_GT(last["total_duration"].get<int64_t>(), last["eval_duration"].get<int64_t>());

  json whole_req = req;
  whole_req["stream"] = false;
  auto whole = s.Post("/api/generate", whole_req);
  ASSERT_EQ(whole.result(), http::status::ok);
  EXPECT_EQ(whole[http::field::content_type], "application/json");
  EXPECT_EQ(Json(whole)["response"], text);
  EXPECT_EQ(Json(whole)["load_duration"], 0);  // already loaded by the first request

  // Through the chat template too, and /api/chat.
  auto templated =
      s.Post("/api/generate",
             {{"model", "stories"}, {"prompt", "Hi"}, {"stream", false}, {"options", kGreedy}});
  EXPECT_EQ(templated.result(), http::status::ok) << templated.body();
  auto chat = s.Post("/api/chat", {{"model", "stories"},
                                   {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                                   {"stream", false},
                                   {"options", kGreedy}});
  ASSERT_EQ(chat.result(), http::status::ok) << chat.body();
  EXPECT_EQ(Json(chat)["message"]["role"], "assistant");
  EXPECT_EQ(Json(chat)["done"], true);
  EXPECT_EQ(s.Post("/api/generate", {{"model", "nope"}, {"prompt", "x"}}).result(),
            http::status::not_found);
}

TEST(OllamaE2E, NumCtxCapsPromptPlusOutput) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  json req = {{"model", "stories"},
              {"prompt", "Once upon a time"},
              {"raw", true},
              {"stream", false},
              {"options", kGreedy}};
  const int n_prompt = Json(s.Post("/api/generate", req))["prompt_eval_count"];
  req["stream"] = true;
  req["options"] = {{"temperature", 0}, {"num_predict", 50}, {"num_ctx", n_prompt + 3}};
  const auto lines = NdjsonLines(s.Post("/api/generate", req).body());
  ASSERT_GE(lines.size(), 2u);
  EXPECT_LE(lines.size() - 1, 3u);  // every line carries at least one token
  EXPECT_EQ(lines.back()["done_reason"], "length");
}

TEST(OllamaE2E, DisconnectStopsGeneration) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  {
    TestClient c(s.server->endpoint().port());
    const json body = {{"model", "stories"},
                       {"prompt", "Once upon a time"},
                       {"raw", true},
                       {"options", {{"temperature", 0}, {"num_predict", 240}}}};
    c.Send(http::verb::post, "/api/generate", body.dump());
    char buf[256];
    c.socket().read_some(net::buffer(buf));  // the NDJSON stream has begun
  }                                          // the client goes away
  auto loaded = s.pool->Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  // The server notices the closed socket on its next read; the scheduler then
  // stops the job within a step. Only the scheduler's counters show that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  SchedulerStats st;
  do {
    st = loaded[0]->scheduler().Stats();
    if (st.jobs_cancelled == 1 && st.active == 0) break;
    std::this_thread::yield();
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(st.jobs_cancelled, 1u);
  EXPECT_LT(st.generated_tokens, 240u);
}

TEST(OllamaE2E, PreloadUnloadPsAndModelRoutes) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  EXPECT_EQ(Json(s.Get("/api/models/stories/status"))["status"], "not loaded");
  const json load = Json(s.Post("/api/generate", {{"model", "stories"}}));
  EXPECT_EQ(load["done"], true);
  EXPECT_EQ(load["done_reason"], "load");
  EXPECT_EQ(Json(s.Get("/api/models/stories%3Alatest/status")),
            json({{"model", "stories:latest"}, {"status", "loaded"}}));
  const json ps = Json(s.Get("/api/ps"));
  ASSERT_EQ(ps["models"].size(), 1u);
  EXPECT_EQ(ps["models"][0]["name"], "stories:latest");
  EXPECT_EQ(ps["models"][0]["size_vram"], 0);
  EXPECT_GT(ps["models"][0]["expires_at"].get<std::string>(),
            Json(s.Get("/api/tags"))["models"][0]["modified_at"].get<std::string>());

  const json unload = Json(s.Post("/api/chat", {{"model", "stories"}, {"keep_alive", 0}}));
  EXPECT_EQ(unload["done_reason"], "unload");
  EXPECT_EQ(unload["message"]["content"], "");
  EXPECT_EQ(Json(s.Get("/api/models/stories/status"))["status"], "not loaded");
  EXPECT_TRUE(Json(s.Get("/api/ps"))["models"].empty());

  EXPECT_EQ(Json(s.Post("/api/models/stories/load", json::object()))["status"], "loaded");
  EXPECT_EQ(Json(s.Post("/api/models/stories/unload", json::object()))["status"], "not loaded");
  EXPECT_EQ(s.Get("/api/models/nope/status").result(), http::status::not_found);
  EXPECT_EQ(s.Get("/api/models/stories/explode").result(), http::status::not_found);
}

TEST(OllamaE2E, EmbedNormalisesAndLegacyDoesNot) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  auto r = s.Post("/api/embed",
                  {{"model", "stories"}, {"input", json::array({"Once upon a time", "The cat"})}});
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  const json e = Json(r);
  ASSERT_EQ(e["embeddings"].size(), 2u);
  EXPECT_EQ(e["embeddings"][0].size(), 64u);  // stories260K's width
  EXPECT_NEAR(Norm(e["embeddings"][0]), 1.0, 1e-4);
  EXPECT_NEAR(Norm(e["embeddings"][1]), 1.0, 1e-4);
  EXPECT_GT(e["prompt_eval_count"].get<int>(), 2);

  const json cut =
      Json(s.Post("/api/embed", {{"model", "stories"}, {"input", "The cat"}, {"dimensions", 8}}));
  ASSERT_EQ(cut["embeddings"][0].size(), 8u);
  EXPECT_NEAR(Norm(cut["embeddings"][0]), 1.0, 1e-4);
  EXPECT_EQ(
      s.Post("/api/embed", {{"model", "stories"}, {"input", "x"}, {"dimensions", 65}}).result(),
      http::status::bad_request);

  const json legacy =
      Json(s.Post("/api/embeddings", {{"model", "stories"}, {"prompt", "The cat"}}));
  ASSERT_EQ(legacy["embedding"].size(), 64u);
  EXPECT_GT(std::abs(Norm(legacy["embedding"]) - 1.0), 1e-3);  // raw, as Ollama's legacy route
  EXPECT_EQ(Json(s.Post("/api/embed", {{"model", "stories"}}))["embeddings"], json::array());
}

TEST(AnthropicE2E, MessageStreamAndStopSequence) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  const json req = {{"model", "stories"},
                    {"max_tokens", 16},
                    {"temperature", 0},
                    {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}};
  auto whole = s.Post("/v1/messages", req);
  ASSERT_EQ(whole.result(), http::status::ok) << whole.body();
  const json m = Json(whole);
  EXPECT_EQ(m["type"], "message");
  EXPECT_TRUE(m["id"].get<std::string>().starts_with("msg_"));
  EXPECT_EQ(m["model"], "stories");
  EXPECT_GT(m["usage"]["input_tokens"].get<int>(), 0);
  ASSERT_EQ(m["content"][0]["type"], "text");
  const std::string text = m["content"][0]["text"];
  if (m["usage"]["output_tokens"] == 16) {
    EXPECT_EQ(m["stop_reason"], "max_tokens");
  }

  json stream_req = req;
  stream_req["stream"] = true;
  auto streamed = s.Post("/v1/messages", stream_req);
  EXPECT_EQ(streamed[http::field::content_type], "text/event-stream");
  std::string joined, first_event, last_event;
  std::istringstream in(streamed.body());
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("event: ")) {
      if (first_event.empty()) first_event = line.substr(7);
      last_event = line.substr(7);
    }
    if (!line.starts_with("data: ")) continue;
    const json d = json::parse(line.substr(6));
    if (d["type"] == "content_block_delta") joined += d["delta"]["text"].get<std::string>();
  }
  EXPECT_EQ(first_event, "message_start");
  EXPECT_EQ(last_event, "message_stop");
  EXPECT_EQ(joined, text);

  // A stop sequence from the middle of that text ends the answer there, and
  // the answer says which one.
  // (Three ASCII letters, so the stop string is whole UTF-8.)
  size_t at = text.size() / 2;
  auto letter = [&](size_t i) {
    return i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]));
  };
  while (at < text.size() && !(letter(at) && letter(at + 1) && letter(at + 2))) ++at;
  ASSERT_LT(at, text.size()) << "no word in the second half of: " << text;
  const std::string stop = text.substr(at, 3);
  json stop_req = req;
  stop_req["stop_sequences"] = json::array({"never-seen", stop});
  const json stopped = Json(s.Post("/v1/messages", stop_req));
  EXPECT_EQ(stopped["stop_reason"], "stop_sequence") << stopped.dump();
  EXPECT_EQ(stopped["stop_sequence"], stop);
  EXPECT_EQ(stopped["content"][0]["text"], text.substr(0, text.find(stop)));
}

TEST(AnthropicE2E, ErrorsInAnthropicsEnvelope) {
  SHIMMY_REQUIRE_FIXTURES();
  Stack s;
  auto no_max = s.Post(
      "/v1/messages", {{"model", "stories"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  EXPECT_EQ(no_max.result(), http::status::bad_request);
  EXPECT_EQ(Json(no_max), json::parse(R"({"type":"error","error":{"type":"invalid_request_error",
                                          "message":"max_tokens: required"}})"));
  auto unknown = s.Post(
      "/v1/messages",
      {{"model", "nope"}, {"max_tokens", 4}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  EXPECT_EQ(unknown.result(), http::status::not_found);
  EXPECT_EQ(Json(unknown)["error"]["type"], "not_found_error");
}

}  // namespace
}  // namespace shimmy::testing
