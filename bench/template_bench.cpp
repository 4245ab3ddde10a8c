// Chat template rendering: a typical 10-message conversation (system, four
// user/assistant exchanges with a tool call and its result, a last user
// question, two tools) through real models' templates. Target: well under
// a millisecond per render.
//
//   cmake --build build --target template_bench && ./build/bench/template_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "chat/chat_template.h"

namespace {

using shimmy::chat::ChatInput;
using shimmy::chat::ChatTemplate;
using shimmy::chat::Json;

std::filesystem::path FixturesDir() {
  const char* env = std::getenv("SHIMMY_FIXTURES");
  return (env != nullptr && *env != '\0') ? env : SHIMMY_DEFAULT_FIXTURES;
}

ChatInput Conversation() {
  ChatInput in;
  in.messages = Json::parse(R"([
    {"role":"system","content":"You are a helpful assistant. Answer briefly and cite sources when you can."},
    {"role":"user","content":"What is the capital of France?"},
    {"role":"assistant","content":"Paris is the capital of France."},
    {"role":"user","content":"And what's the weather there right now?"},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call12345","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}]},
    {"role":"tool","tool_call_id":"call12345","name":"get_weather","content":"{\"temperature\": 18, \"sky\": \"cloudy\"}"},
    {"role":"assistant","content":"It is 18 °C and cloudy in Paris."},
    {"role":"user","content":"Should I take an umbrella for a two-hour walk this afternoon?"},
    {"role":"assistant","content":"Cloudy skies without rain in the forecast: an umbrella is optional."},
    {"role":"user","content":"Thanks! Summarise our conversation in one sentence."}])");
  in.tools = Json::parse(R"([
    {"type":"function","function":{"name":"get_weather","description":"Current weather for a city",
      "parameters":{"type":"object","properties":{"city":{"type":"string"},
        "unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}}},
    {"type":"function","function":{"name":"search","description":"Search the web",
      "parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}])");
  return in;
}

void BM_Render(benchmark::State& state, const std::string& name) {
  std::ifstream file(FixturesDir() / "templates" / (name + ".jinja"));
  std::stringstream source;
  source << file.rdbuf();
  auto tmpl = ChatTemplate::FromSource(source.str(), "<s>", "</s>", name);
  if (!tmpl) {
    state.SkipWithError(tmpl.error().message().c_str());
    return;
  }
  const ChatInput in = Conversation();
  size_t bytes = 0;
  for (auto _ : state) {
    auto out = tmpl->Render(in);
    if (!out) {
      state.SkipWithError(out.error().message().c_str());
      return;
    }
    bytes = out->size();
    benchmark::DoNotOptimize(out->data());
  }
  state.counters["prompt_bytes"] = static_cast<double>(bytes);
}

void BM_Parse(benchmark::State& state, const std::string& name) {
  std::ifstream file(FixturesDir() / "templates" / (name + ".jinja"));
  std::stringstream source;
  source << file.rdbuf();
  for (auto _ : state) {
    auto tmpl = ChatTemplate::FromSource(source.str(), "<s>", "</s>", name);
    benchmark::DoNotOptimize(tmpl.ok());
  }
}

const char* const kTemplates[] = {"meta-llama-Llama-3.1-8B-Instruct",
                                  "Qwen-Qwen2.5-7B-Instruct",
                                  "Qwen3-Coder",
                                  "Mistral-Small-3.2-24B-Instruct-2506",
                                  "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
                                  "ibm-granite-granite-4.0",
                                  "moonshotai-Kimi-K2"};

int Register() {
  for (const char* name : kTemplates) {
    benchmark::RegisterBenchmark((std::string("Render/") + name).c_str(), BM_Render, name)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((std::string("Parse/") + name).c_str(), BM_Parse, name)
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}
const int kRegistered = Register();

}  // namespace

BENCHMARK_MAIN();
