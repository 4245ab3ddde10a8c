// Service results -> OpenAI JSON: chunks, whole answers, logprobs, usage,
// embeddings, model objects and errors. Pure functions (apart from the id's
// random draw and a file's mtime); keys in OpenAI's documented order.
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include "server/api_openai.h"
#include "server/error_body.h"

namespace shimmy::server {
namespace {

// OpenAI reports impossible tokens as -9999.0; JSON has no -infinity.
double WireLogprob(float lp) { return std::isfinite(lp) ? lp : -9999.0; }

OJson Bytes(std::string_view text) {
  OJson out = OJson::array();
  for (unsigned char c : text) out.push_back(static_cast<int>(c));
  return out;
}

OJson LogprobEntry(const std::string& text, float lp) {
  return {{"token", text}, {"logprob", WireLogprob(lp)}, {"bytes", Bytes(text)}};
}

OJson Header(const ResponseMeta& meta, std::string_view object) {
  return {{"id", meta.id}, {"object", object}, {"created", meta.created}, {"model", meta.model}};
}

OJson FinishReason(std::string_view reason) {
  return reason.empty() ? OJson(nullptr) : OJson(reason);
}

OJson ToolCallsJson(const std::vector<chat::ToolCall>& calls) {
  OJson out = OJson::array();
  for (const chat::ToolCall& c : calls) {
    out.push_back({{"id", c.id},
                   {"type", "function"},
                   {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

OJson ChoiceLogprobs(std::span<const OJson> logprobs, size_t i) {
  return i < logprobs.size() ? logprobs[i] : OJson(nullptr);
}

}  // namespace

std::string NewResponseId(std::string_view prefix) {
  static constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlnum) - 2);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += kAlnum[pick(rng)];
  return id;
}

int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

OJson ChatLogprobsContent(std::span<const SampleLogprobs> logprobs, const TokenTextFn& text) {
  OJson out = OJson::array();
  for (const SampleLogprobs& lp : logprobs) {
    OJson entry = LogprobEntry(text(lp.chosen.id), lp.chosen.logprob);
    OJson top = OJson::array();
    for (const TokenLogprob& alt : lp.top) top.push_back(LogprobEntry(text(alt.id), alt.logprob));
    entry["top_logprobs"] = std::move(top);
    out.push_back(std::move(entry));
  }
  return out;
}

OJson LegacyLogprobs(std::span<const SampleLogprobs> logprobs, const TokenTextFn& text,
                     size_t* offset) {
  OJson tokens = OJson::array(), token_logprobs = OJson::array(), top = OJson::array(),
        offsets = OJson::array();
  for (const SampleLogprobs& lp : logprobs) {
    const std::string t = text(lp.chosen.id);
    tokens.push_back(t);
    token_logprobs.push_back(WireLogprob(lp.chosen.logprob));
    OJson alts = OJson::object();
    for (const TokenLogprob& alt : lp.top) {
      const std::string a = text(alt.id);
      if (!alts.contains(a)) alts[a] = WireLogprob(alt.logprob);  // most likely spelling wins
    }
    top.push_back(std::move(alts));
    offsets.push_back(*offset);
    *offset += t.size();
  }
  return {{"tokens", std::move(tokens)},
          {"token_logprobs", std::move(token_logprobs)},
          {"top_logprobs", std::move(top)},
          {"text_offset", std::move(offsets)}};
}

void AppendLegacyLogprobs(OJson& into, const OJson& more) {
  if (into.is_null()) {
    into = more;
    return;
  }
  for (const char* key : {"tokens", "token_logprobs", "top_logprobs", "text_offset"}) {
    for (const OJson& v : more[key]) into[key].push_back(v);
  }
}

OJson UsageJson(const CompletionFinal& final) {
  return {{"prompt_tokens", final.prompt_tokens},
          {"completion_tokens", final.completion_tokens},
          {"total_tokens", final.prompt_tokens + final.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", final.cached_tokens}}}};
}

OJson ChatDeltaJson(const chat::OutputDelta& delta, bool first) {
  OJson d = OJson::object();
  if (first) d["role"] = "assistant";
  if (!delta.content.empty() || first) d["content"] = delta.content;
  if (!delta.reasoning.empty()) d["reasoning_content"] = delta.reasoning;
  if (!delta.tool_calls.empty()) {
    OJson calls = OJson::array();
    for (const chat::ToolCallDelta& c : delta.tool_calls) {
      OJson call = {{"index", c.index}};
      if (!c.id.empty()) {
        call["id"] = c.id;
        call["type"] = "function";
      }
      OJson fn = OJson::object();
      if (!c.name.empty()) fn["name"] = c.name;
      fn["arguments"] = c.arguments;
      call["function"] = std::move(fn);
      calls.push_back(std::move(call));
    }
    d["tool_calls"] = std::move(calls);
  }
  return d;
}

OJson ChatChunk(const ResponseMeta& meta, int index, OJson delta, OJson logprobs,
                std::string_view finish_reason) {
  OJson chunk = Header(meta, "chat.completion.chunk");
  chunk["choices"] = OJson::array({{{"index", index},
                                    {"delta", std::move(delta)},
                                    {"logprobs", std::move(logprobs)},
                                    {"finish_reason", FinishReason(finish_reason)}}});
  return chunk;
}

OJson ChatUsageChunk(const ResponseMeta& meta, const CompletionFinal& final) {
  OJson chunk = Header(meta, "chat.completion.chunk");
  chunk["choices"] = OJson::array();
  chunk["usage"] = UsageJson(final);
  return chunk;
}

OJson ChatCompletionJson(const ResponseMeta& meta, const CompletionFinal& final,
                         std::span<const OJson> logprobs) {
  OJson out = Header(meta, "chat.completion");
  OJson choices = OJson::array();
  for (size_t i = 0; i < final.choices.size(); ++i) {
    const ChoiceFinal& c = final.choices[i];
    OJson message = {{"role", "assistant"}};
    // OpenAI: content is null when the answer is only tool calls.
    message["content"] =
        c.content.empty() && !c.tool_calls.empty() ? OJson(nullptr) : OJson(c.content);
    if (!c.reasoning.empty()) message["reasoning_content"] = c.reasoning;
    if (!c.tool_calls.empty()) message["tool_calls"] = ToolCallsJson(c.tool_calls);
    choices.push_back({{"index", static_cast<int>(i)},
                       {"message", std::move(message)},
                       {"logprobs", ChoiceLogprobs(logprobs, i)},
                       {"finish_reason", FinishReason(c.finish_reason)}});
  }
  out["choices"] = std::move(choices);
  out["usage"] = UsageJson(final);
  return out;
}

OJson TextCompletionChunk(const ResponseMeta& meta, int index, std::string_view text,
                          OJson logprobs, std::string_view finish_reason) {
  OJson chunk = Header(meta, "text_completion");
  chunk["choices"] = OJson::array({{{"text", text},
                                    {"index", index},
                                    {"logprobs", std::move(logprobs)},
                                    {"finish_reason", FinishReason(finish_reason)}}});
  return chunk;
}

OJson TextUsageChunk(const ResponseMeta& meta, const CompletionFinal& final) {
  OJson chunk = Header(meta, "text_completion");
  chunk["choices"] = OJson::array();
  chunk["usage"] = UsageJson(final);
  return chunk;
}

OJson TextCompletionJson(const ResponseMeta& meta, const CompletionFinal& final,
                         std::span<const OJson> logprobs) {
  OJson out = Header(meta, "text_completion");
  OJson choices = OJson::array();
  for (size_t i = 0; i < final.choices.size(); ++i) {
    const ChoiceFinal& c = final.choices[i];
    choices.push_back({{"text", c.content},
                       {"index", static_cast<int>(i)},
                       {"logprobs", ChoiceLogprobs(logprobs, i)},
                       {"finish_reason", FinishReason(c.finish_reason)}});
  }
  out["choices"] = std::move(choices);
  out["usage"] = UsageJson(final);
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 |
                       static_cast<uint8_t>(bytes[i + 1]) << 8 | static_cast<uint8_t>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kDigits[(v >> shift) & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kDigits[(v >> 18) & 63];
    out += kDigits[(v >> 12) & 63];
    out += rest == 2 ? kDigits[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

OJson EmbeddingsJson(const EmbeddingResult& result, bool base64) {
  OJson data = OJson::array();
  for (size_t i = 0; i < result.vectors.size(); ++i) {
    const std::vector<float>& v = result.vectors[i];
    OJson embedding;
    if (base64) {
      std::string bytes;
      bytes.reserve(v.size() * 4);
      for (float f : v) {  // little-endian whatever the host is
        const uint32_t u = std::bit_cast<uint32_t>(f);
        for (int b = 0; b < 4; ++b) bytes += static_cast<char>((u >> (8 * b)) & 0xff);
      }
      embedding = Base64Encode(bytes);
    } else {
      embedding = v;
    }
    data.push_back({{"object", "embedding"},
                    {"index", static_cast<int>(i)},
                    {"embedding", std::move(embedding)}});
  }
  return {
      {"object", "list"},
      {"data", std::move(data)},
      {"model", result.model},
      {"usage", {{"prompt_tokens", result.prompt_tokens}, {"total_tokens", result.prompt_tokens}}}};
}

OJson ModelJson(const discovery::ModelEntry& entry) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(entry.path, ec);
  const int64_t created = ec ? 0 : UnixSeconds(std::chrono::file_clock::to_sys(mtime));
  return {{"id", entry.name}, {"object", "model"}, {"created", created}, {"owned_by", "shimmy"}};
}

OJson ModelListJson(const discovery::Registry& registry) {
  OJson data = OJson::array();
  for (const discovery::ModelEntry& e : registry.models()) {
    if (e.facts.kind == discovery::ModelKind::kLlm ||
        e.facts.kind == discovery::ModelKind::kEmbedding) {
      data.push_back(ModelJson(e));
    }
  }
  return {{"object", "list"}, {"data", std::move(data)}};
}

OJson OpenAiError(boost::beast::http::status status, std::string_view message,
                  std::string_view param, std::string_view code) {
  return {{"error",
           {{"message", message},
            {"type", OpenAiErrorType(status)},
            {"param", param.empty() ? OJson(nullptr) : OJson(param)},
            {"code", code.empty() ? OJson(nullptr) : OJson(code)}}}};
}

std::string DumpJson(const OJson& body) {
  // Token text may end inside a UTF-8 character; never throw on it.
  return body.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string SseChunk(const OJson& body) { return "data: " + DumpJson(body) + "\n\n"; }

}  // namespace shimmy::server
