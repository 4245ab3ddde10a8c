// OpenAI request JSON -> CompletionRequest / EmbeddingRequest: the fields
// both generation routes share (ParseCommon), /v1/completions and
// /v1/embeddings. The chat-only fields are in api_openai_parse_chat.cpp.
// Choices are listed in api_openai.h.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "runtime/keep_alive.h"
#include "server/api_common.h"
#include "server/api_openai.h"
#include "server/api_openai_fields.h"

namespace shimmy::server {
namespace {

constexpr int kMaxChoices = 16;  // OpenAI's own limit on n
constexpr int64_t kMaxTokensLimit = std::numeric_limits<int32_t>::max();

void ParseLogitBias(FieldReader& r, SamplingParams& sampling) {
  const OJson* v = r.Get("logit_bias");
  if (v == nullptr || v->is_null()) return;
  if (!v->is_object()) {
    r.Fail("logit_bias", "'logit_bias' must be an object of token id -> bias", "invalid_type");
    return;
  }
  for (const auto& [key, bias] : v->items()) {
    char* end = nullptr;
    const long long id = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || id < 0 || id > std::numeric_limits<int32_t>::max()) {
      r.Fail("logit_bias", "logit_bias keys must be token ids, got '" + key + "'");
      return;
    }
    if (!bias.is_number() || !(bias.get<double>() >= -100 && bias.get<double>() <= 100)) {
      r.Fail("logit_bias", "logit_bias values must be numbers between -100 and 100");
      return;
    }
    const double b = bias.get<double>();
    // OpenAI: "-100 should result in a ban"; a finite -100 only nearly bans.
    sampling.logit_bias[static_cast<TokenId>(id)] =
        b <= -100 ? -std::numeric_limits<float>::infinity() : static_cast<float>(b);
  }
}

}  // namespace

void ParseCommon(FieldReader& r, OpenAiRequest& out) {
  CompletionRequest& req = out.completion;
  SamplingParams& s = req.gen.sampling;
  if (auto model = r.RequiredString("model")) req.model = *model;

  out.stream = r.Bool("stream").value_or(false);
  if (const OJson* so = r.Get("stream_options"); so != nullptr && !so->is_null()) {
    if (!so->is_object()) {
      r.Fail("stream_options", "'stream_options' must be an object", "invalid_type");
    } else if (auto it = so->find("include_usage"); it != so->end() && !it->is_null()) {
      if (!it->is_boolean()) {
        r.Fail("stream_options.include_usage", "'stream_options.include_usage' must be a boolean",
               "invalid_type");
      } else {
        out.include_usage = it->get<bool>() && out.stream;
      }
    }
  }

  // max_completion_tokens replaced max_tokens in OpenAI's API; it wins.
  auto max_tokens = r.Integer("max_tokens", 1, kMaxTokensLimit);
  auto max_completion = r.Integer("max_completion_tokens", 1, kMaxTokensLimit);
  if (max_completion) max_tokens = max_completion;
  req.gen.max_tokens = static_cast<int>(max_tokens.value_or(0));

  s.temperature = static_cast<float>(r.Number("temperature", 0, 2).value_or(1.0));
  s.top_p = static_cast<float>(r.Number("top_p", 0, 1).value_or(1.0));
  s.top_k = static_cast<int32_t>(r.Integer("top_k", -1, kMaxTokensLimit).value_or(0));
  s.min_p = static_cast<float>(r.Number("min_p", 0, 1).value_or(0.0));
  s.presence_penalty = static_cast<float>(r.Number("presence_penalty", -2, 2).value_or(0.0));
  s.frequency_penalty = static_cast<float>(r.Number("frequency_penalty", -2, 2).value_or(0.0));
  if (auto rp = r.Number("repeat_penalty", 0, 1e6)) {
    if (*rp <= 0) r.Fail("repeat_penalty", "'repeat_penalty' must be greater than 0");
    s.repeat_penalty = static_cast<float>(*rp);
  }
  if (auto seed = r.Integer("seed", std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max())) {
    s.seed = static_cast<uint64_t>(*seed);  // negative seeds are as good as any
  }
  if (const OJson* stop = r.Get("stop"); stop != nullptr) {
    auto parsed = ParseStopField(nlohmann::json(*stop));
    if (parsed) {
      req.gen.stop = std::move(*parsed);
    } else {
      r.Fail("stop", parsed.error().message(), "invalid_type");
    }
  }
  req.n = static_cast<int>(r.Integer("n", 1, kMaxChoices).value_or(1));
  ParseLogitBias(r, s);
  if (const OJson* ka = r.Get("keep_alive"); ka != nullptr && !ka->is_null() && !r.failed()) {
    auto parsed = runtime::ParseKeepAlive(nlohmann::json(*ka));
    if (parsed) {
      req.keep_alive = *parsed;
    } else {
      r.Fail("keep_alive", parsed.error().message());
    }
  }
}

// Checks one message's shape and returns it as the template should see it.
Result<OpenAiRequest> ParseCompletionRequest(const OJson& body, ParamError* param_error) {
  FieldReader r(body, param_error);
  OpenAiRequest out;
  ParseCommon(r, out);
  CompletionRequest& req = out.completion;

  const OJson* prompt = r.Get("prompt");
  if (prompt == nullptr || prompt->is_null()) {
    r.Fail("prompt", "missing required parameter: 'prompt'", "missing_required_parameter");
  } else if (prompt->is_string()) {
    req.prompt = prompt->get<std::string>();
  } else if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
    req.prompt = (*prompt)[0].get<std::string>();
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_string()) {
    r.Fail("prompt", "only one prompt per request is supported; send one request per prompt");
  } else {
    r.Fail("prompt", "'prompt' must be a string (token arrays are not supported)", "invalid_type");
  }

  req.echo = r.Bool("echo").value_or(false);
  if (auto suffix = r.String("suffix"); suffix && !suffix->empty()) {
    r.Fail("suffix", "'suffix' (insert mode) is not supported");
  }
  if (auto best_of = r.Integer("best_of", 1, kMaxChoices); best_of && *best_of != req.n) {
    r.Fail("best_of", "'best_of' must equal 'n' (server-side best-of is not supported)");
  }
  // Legacy logprobs: how many alternatives per token (OpenAI allows 0..5;
  // any true value turns reporting on). A boolean is accepted too.
  if (const OJson* lp = r.Get("logprobs"); lp != nullptr && lp->is_boolean()) {
    req.gen.logprobs = lp->get<bool>();
  } else if (auto n_top = r.Integer("logprobs", 0, kMaxTopLogprobs)) {
    req.gen.logprobs = true;
    req.gen.sampling.n_top_logprobs = static_cast<int32_t>(*n_top);
  }
  if (r.failed()) return r.error();
  return out;
}

Result<EmbeddingRequest> ParseEmbeddingRequest(const OJson& body, ParamError* param_error) {
  FieldReader r(body, param_error);
  EmbeddingRequest out;
  if (auto model = r.RequiredString("model")) out.model = *model;

  const OJson* input = r.Get("input");
  if (input == nullptr || input->is_null()) {
    r.Fail("input", "missing required parameter: 'input'", "missing_required_parameter");
  } else if (input->is_string()) {
    out.inputs.push_back(input->get<std::string>());
  } else if (input->is_array() && !input->empty()) {
    for (const OJson& v : *input) {
      if (!v.is_string()) {
        r.Fail("input",
               "'input' must be a string or a list of strings (token arrays are not "
               "supported)",
               "invalid_type");
        break;
      }
      out.inputs.push_back(v.get<std::string>());
    }
  } else {
    r.Fail("input", "'input' must be a string or a non-empty list of strings", "invalid_type");
  }
  for (const std::string& s : out.inputs) {
    if (s.empty()) {
      r.Fail("input", "'input' must not contain empty strings");
      break;
    }
  }

  const std::string format = r.String("encoding_format").value_or("float");
  if (format == "base64") {
    out.base64 = true;
  } else if (format != "float") {
    r.Fail("encoding_format",
           "'encoding_format' must be 'float' or 'base64', got '" + format + "'");
  }
  if (auto dims = r.Integer("dimensions", 1, std::numeric_limits<int32_t>::max())) {
    out.dimensions = static_cast<int>(*dims);
  }
  if (const OJson* ka = r.Get("keep_alive"); ka != nullptr && !ka->is_null() && !r.failed()) {
    auto parsed = runtime::ParseKeepAlive(nlohmann::json(*ka));
    if (parsed) {
      out.keep_alive = *parsed;
    } else {
      r.Fail("keep_alive", parsed.error().message());
    }
  }
  if (r.failed()) return r.error();
  return out;
}

}  // namespace shimmy::server
