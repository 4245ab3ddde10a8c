// Service events -> Ollama's NDJSON lines and JSON answers. Pure functions
// (the clock is injected for tests).
//
// A streamed /api/generate:
//   {"model":"m","created_at":"...","response":"Once","done":false}
//   ...
//   {"model":"m","created_at":"...","response":"","done":true,"done_reason":"stop",
//    "total_duration":...,"load_duration":...,"prompt_eval_count":...,
//    "prompt_eval_duration":...,"eval_count":...,"eval_duration":...}
// /api/chat has "message":{"role":"assistant","content":...} in place of
// "response". Not streamed, the one answer is the final line with the whole
// text in it.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "server/api_ollama.h"

namespace shimmy::server::ollama {
namespace {

int64_t Nanoseconds(double ms) { return std::llround(ms * 1e6); }

OJson ArgumentsObject(const std::string& text) {
  OJson args = OJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (args.is_discarded()) return text;  // never happens for parsed calls; keep the text
  return args;
}

OJson ToolCallJson(int index, const std::string& id, const std::string& name,
                   const std::string& arguments) {
  OJson call = OJson::object();
  if (!id.empty()) call["id"] = id;
  call["function"] = {{"index", index}, {"name", name}, {"arguments", ArgumentsObject(arguments)}};
  return call;
}

}  // namespace

std::string Dump(const OJson& body) {
  return body.dump(-1, ' ', /*ensure_ascii=*/false, OJson::error_handler_t::replace);
}

std::string Rfc3339(Clock::time_point t) {
  using namespace std::chrono;
  const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (frac != 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%09lld", static_cast<long long>(frac));
    std::string f(digits);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

OJson FloatJson(float f) {
  if (!std::isfinite(f)) return nullptr;  // JSON has no infinity
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf - 1, f);
  if (ec != std::errc()) return f;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

Result<OJson> EmbedJson(const EmbedRequest& request, const EmbeddingResult& result) {
  OJson vectors = OJson::array();
  for (const std::vector<float>& v : result.vectors) {
    std::span<const float> values(v);
    std::vector<float> cut;
    if (request.dimensions) {
      const size_t dims = static_cast<size_t>(*request.dimensions);
      if (dims > v.size()) {
        return Error("dimensions " + std::to_string(dims) + " is more than the model's " +
                     std::to_string(v.size()));
      }
      cut.assign(v.begin(), v.begin() + dims);
      double norm = 0;
      for (float x : cut) norm += double{x} * x;
      norm = std::sqrt(norm);
      if (norm > 0) {
        for (float& x : cut) x = static_cast<float>(x / norm);
      }
      values = cut;
    }
    OJson out = OJson::array();
    for (float x : values) out.push_back(FloatJson(x));
    vectors.push_back(std::move(out));
  }
  if (request.legacy) {
    return OJson{{"embedding", vectors.empty() ? OJson::array() : std::move(vectors[0])}};
  }
  return OJson{{"model", request.model},
               {"embeddings", std::move(vectors)},
               {"total_duration", Nanoseconds(result.total_ms)},
               {"load_duration", Nanoseconds(result.load_ms)},
               {"prompt_eval_count", result.prompt_tokens}};
}

OJson StatsJson(const CompletionFinal& final) {
  return {{"total_duration", Nanoseconds(final.total_ms)},
          {"load_duration", Nanoseconds(final.load_ms)},
          {"prompt_eval_count", final.prompt_tokens},
          {"prompt_eval_duration", Nanoseconds(final.prompt_ms)},
          {"eval_count", final.completion_tokens},
          {"eval_duration", Nanoseconds(final.decode_ms)}};
}

std::string DoneReason(const ChoiceFinal& choice, bool capped) {
  if (capped || choice.finish_reason == "length") return "length";
  return "stop";  // also for tool calls (Ollama has no reason of its own for them)
}

OJson ToolCallsJson(const std::vector<chat::ToolCall>& calls) {
  OJson out = OJson::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    out.push_back(
        ToolCallJson(static_cast<int>(i), calls[i].id, calls[i].name, calls[i].arguments));
  }
  return out;
}

ResponseWriter::ResponseWriter(Endpoint endpoint, std::string model, bool stream,
                               std::function<Clock::time_point()> now)
    : endpoint_(endpoint), model_(std::move(model)), stream_(stream), now_(std::move(now)) {}

OJson ResponseWriter::Head() { return {{"model", model_}, {"created_at", Rfc3339(now_())}}; }

std::string ResponseWriter::Delta(const chat::OutputDelta& delta) {
  if (!stream_ || delta.empty()) return "";
  OJson line = Head();
  if (endpoint_ == Endpoint::kGenerate) {
    if (delta.content.empty() && delta.reasoning.empty()) return "";
    line["response"] = delta.content;
    if (!delta.reasoning.empty()) line["thinking"] = delta.reasoning;
  } else {
    OJson message = {{"role", "assistant"}, {"content", delta.content}};
    if (!delta.reasoning.empty()) message["thinking"] = delta.reasoning;
    if (!delta.tool_calls.empty()) {
      OJson calls = OJson::array();
      for (const chat::ToolCallDelta& c : delta.tool_calls) {
        calls.push_back(ToolCallJson(c.index, c.id, c.name, c.arguments));
      }
      message["tool_calls"] = std::move(calls);
    }
    line["message"] = std::move(message);
  }
  line["done"] = false;
  return Dump(line) + "\n";
}

std::string ResponseWriter::Final(const CompletionFinal& final, bool capped) {
  static const ChoiceFinal kNone;
  const ChoiceFinal& choice = final.choices.empty() ? kNone : final.choices[0];
  OJson body = Head();
  // Streamed, the text went out in the deltas; the last line carries none.
  const std::string& content = stream_ ? kNone.content : choice.content;
  if (endpoint_ == Endpoint::kGenerate) {
    body["response"] = content;
    if (!stream_ && !choice.reasoning.empty()) body["thinking"] = choice.reasoning;
  } else {
    OJson message = {{"role", "assistant"}, {"content", content}};
    if (!stream_ && !choice.reasoning.empty()) message["thinking"] = choice.reasoning;
    if (!stream_ && !choice.tool_calls.empty()) {
      message["tool_calls"] = ToolCallsJson(choice.tool_calls);
    }
    body["message"] = std::move(message);
  }
  body["done"] = true;
  body["done_reason"] = DoneReason(choice, capped);
  body.update(StatsJson(final));
  return stream_ ? Dump(body) + "\n" : Dump(body);
}

std::string ResponseWriter::Error(std::string_view message) {
  return Dump(OJson{{"error", message}}) + "\n";
}

OJson ResponseWriter::LoadAnswer(std::string_view done_reason) {
  OJson body = Head();
  if (endpoint_ == Endpoint::kGenerate) {
    body["response"] = "";
  } else {
    body["message"] = {{"role", "assistant"}, {"content", ""}};
  }
  body["done"] = true;
  body["done_reason"] = done_reason;
  return body;
}

}  // namespace shimmy::server::ollama
