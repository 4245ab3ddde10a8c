// Ollama request bodies -> CompletionRequest / EmbedRequest (see
// api_ollama.h for the choices made). Pure functions.
#include <algorithm>
#include <cmath>
#include <limits>

#include "runtime/keep_alive.h"
#include "server/api_ollama.h"

namespace shimmy::server::ollama {
namespace {

// Ollama's runner defaults (what a request without options gets).
constexpr float kDefaultTemperature = 0.8f;
constexpr int kDefaultTopK = 40;
constexpr float kDefaultTopP = 0.9f;
constexpr float kDefaultRepeatPenalty = 1.1f;
constexpr int kDefaultRepeatLastN = 64;

Error FieldError(std::string_view field, std::string_view what) {
  return Error(std::string(field) + " " + std::string(what));
}

// The value at `key`, or nullptr when absent or null.
const OJson* Find(const OJson& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<double> Number(const OJson& v, std::string_view field) {
  if (!v.is_number()) return FieldError(field, "must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) return FieldError(field, "must be a finite number");
  return d;
}

// An integer; integral floats (40.0) are accepted since JSON clients often
// cannot tell them apart.
Result<int64_t> Integer(const OJson& v, std::string_view field) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e15) {
      return static_cast<int64_t>(d);
    }
  }
  return FieldError(field, "must be an integer");
}

Result<bool> Bool(const OJson& v, std::string_view field) {
  if (!v.is_boolean()) return FieldError(field, "must be true or false");
  return v.get<bool>();
}

Result<std::vector<std::string>> StopList(const OJson& v, std::string_view field) {
  std::vector<std::string> out;
  if (v.is_string()) {
    if (!v.get_ref<const std::string&>().empty()) out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) return FieldError(field, "must be a string or a list of strings");
  for (const OJson& s : v) {
    if (!s.is_string()) return FieldError(field, "must be a string or a list of strings");
    if (!s.get_ref<const std::string&>().empty()) out.push_back(s.get<std::string>());
  }
  return out;
}

// Sets one known option; unknown keys are ignored (see api_ollama.h).
Status ApplyOption(const std::string& key, const OJson& v, CompletionRequest& request,
                   std::optional<int>* num_ctx) {
  const std::string field = "options." + key;
  SamplingParams& s = request.gen.sampling;
  // `range` says the bounds in words for the error ("in [0, 1]").
  auto number_in = [&](float* out, double lo, double hi, std::string_view range) -> Status {
    auto d = Number(v, field);
    if (!d) return d.error();
    if (*d < lo || *d > hi)
      return FieldError(field, "must be " + std::string(range) + ", got " + v.dump());
    *out = static_cast<float>(*d);
    return {};
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (key == "temperature") return number_in(&s.temperature, 0, kInf, ">= 0");
  if (key == "top_p") return number_in(&s.top_p, 0, 1, "in [0, 1]");
  if (key == "min_p") return number_in(&s.min_p, 0, 1, "in [0, 1]");
  if (key == "repeat_penalty") return number_in(&s.repeat_penalty, 0, kInf, ">= 0");
  if (key == "presence_penalty") return number_in(&s.presence_penalty, -kInf, kInf, "");
  if (key == "frequency_penalty") return number_in(&s.frequency_penalty, -kInf, kInf, "");
  if (key == "stop") {
    auto stop = StopList(v, field);
    if (!stop) return stop.error();
    request.gen.stop = std::move(*stop);
    return {};
  }
  const bool integer_key = key == "top_k" || key == "num_predict" || key == "seed" ||
                           key == "repeat_last_n" || key == "num_ctx";
  if (!integer_key) return {};
  auto n = Integer(v, field);
  if (!n) return n.error();
  constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
  if (key == "top_k") {
    s.top_k = static_cast<int32_t>(std::clamp<int64_t>(*n, 0, kIntMax));
  } else if (key == "num_predict") {
    // -1 (unlimited) and -2 (fill the context) both run to the context's end.
    request.gen.max_tokens = *n > 0 ? static_cast<int>(std::min(*n, kIntMax)) : 0;
  } else if (key == "seed") {
    s.seed = *n < 0 ? std::nullopt : std::optional<uint64_t>(static_cast<uint64_t>(*n));
  } else if (key == "repeat_last_n") {
    // -1 means the whole context in Ollama; the sampler's "< 0: all".
    s.penalty_last_n = static_cast<int32_t>(std::clamp<int64_t>(*n, -1, kIntMax));
  } else if (key == "num_ctx") {
    if (*n < 1) return FieldError(field, "must be a positive integer");
    *num_ctx = static_cast<int>(std::min(*n, kIntMax));
  }
  return {};
}

Result<bool> ApplyThink(const OJson& body, chat::ChatInput& input) {
  const OJson* think = Find(body, "think");
  if (think == nullptr) return true;
  if (think->is_boolean()) {
    input.extra["enable_thinking"] = think->get<bool>();
    return true;
  }
  if (think->is_string()) {
    const std::string& level = think->get_ref<const std::string&>();
    if (level == "high" || level == "medium" || level == "low") {
      input.extra["enable_thinking"] = true;
      input.extra["reasoning_effort"] = level;  // gpt-oss templates read this
      return true;
    }
  }
  return FieldError("think", "must be true, false, \"high\", \"medium\" or \"low\"");
}

Status ApplyFormat(const OJson& body, CompletionRequest& request) {
  const OJson* format = Find(body, "format");
  if (format == nullptr) return {};
  if (format->is_string()) {
    const std::string& f = format->get_ref<const std::string&>();
    if (f.empty()) return {};
    if (f == "json") {
      request.json_object = true;
      return {};
    }
  } else if (format->is_object()) {
    request.json_schema = *format;  // ordered: the grammar emits properties in this order
    return {};
  }
  return FieldError("format", "must be \"json\" or a JSON schema object");
}

Status RefuseImages(const OJson& object, std::string_view field) {
  const OJson* images = Find(object, "images");
  if (images == nullptr) return {};
  if (!images->is_array()) return FieldError(field, "must be a list");
  if (!images->empty()) return FieldError(field, "are not supported: no model here reads images");
  return {};
}

// What /api/generate and /api/chat share: model, options, format, stream,
// keep_alive.
Result<GenerateRequest> ParseCommon(const OJson& body, const discovery::OllamaDefaults& defaults) {
  GenerateRequest out;
  auto model = ModelField(body);
  if (!model) return model.error();
  out.model = *model;
  out.completion.model = *model;

  OJson params = nullptr;
  if (!defaults.params_json.empty()) {
    params = OJson::parse(defaults.params_json, nullptr, /*allow_exceptions=*/false);
    if (params.is_discarded()) params = nullptr;  // a broken layer: run without it
  }
  const OJson* options = Find(body, "options");
  if (auto s =
          ApplyOptions(params, options ? *options : OJson(nullptr), out.completion, &out.num_ctx);
      !s) {
    return s.error();
  }
  if (auto s = ApplyFormat(body, out.completion); !s) return s.error();
  if (const OJson* stream = Find(body, "stream")) {
    auto b = Bool(*stream, "stream");
    if (!b) return b.error();
    out.stream = *b;
  }
  auto keep_alive = KeepAliveField(body);
  if (!keep_alive) return keep_alive.error();
  out.completion.keep_alive = *keep_alive;
  return out;
}

}  // namespace

Result<std::string> ModelField(const OJson& body, bool accept_name) {
  const OJson* model = Find(body, "model");
  if (model == nullptr && accept_name) model = Find(body, "name");
  if (model == nullptr) return Error("model is required");
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    return Error("model must be a non-empty string");
  }
  return model->get<std::string>();
}

Result<std::optional<std::chrono::milliseconds>> KeepAliveField(const OJson& body) {
  const OJson* v = Find(body, "keep_alive");
  if (v == nullptr || v->is_null()) return std::optional<std::chrono::milliseconds>();
  auto parsed = runtime::ParseKeepAlive(nlohmann::json::parse(v->dump()));
  if (!parsed) return parsed.error().Context("keep_alive");
  return std::optional<std::chrono::milliseconds>(*parsed);
}

Status ApplyOptions(const OJson& model_params, const OJson& options, CompletionRequest& request,
                    std::optional<int>* num_ctx) {
  SamplingParams& s = request.gen.sampling;
  s.temperature = kDefaultTemperature;
  s.top_k = kDefaultTopK;
  s.top_p = kDefaultTopP;
  s.min_p = 0;
  s.repeat_penalty = kDefaultRepeatPenalty;
  s.penalty_last_n = kDefaultRepeatLastN;
  if (!options.is_null() && !options.is_object()) return Error("options must be an object");
  OJson merged = model_params.is_object() ? model_params : OJson::object();
  if (options.is_object()) {
    for (const auto& [key, value] : options.items()) merged[key] = value;
  }
  for (const auto& [key, value] : merged.items()) {
    if (value.is_null()) continue;
    if (auto st = ApplyOption(key, value, request, num_ctx); !st) return st;
  }
  return {};
}

Result<GenerateRequest> ParseGenerate(const OJson& body,
                                      const discovery::OllamaDefaults& defaults) {
  auto out = ParseCommon(body, defaults);
  if (!out) return out;
  std::string prompt;
  if (const OJson* p = Find(body, "prompt")) {
    if (!p->is_string()) return Error("prompt must be a string");
    prompt = p->get<std::string>();
  }
  std::string system = defaults.system;
  if (const OJson* sys = Find(body, "system")) {
    if (!sys->is_string()) return Error("system must be a string");
    system = sys->get<std::string>();
  }
  bool raw = false;
  if (const OJson* r = Find(body, "raw")) {
    auto b = Bool(*r, "raw");
    if (!b) return b.error();
    raw = *b;
  }
  if (auto s = RefuseImages(body, "images"); !s) return s.error();

  out->load_only = prompt.empty();
  if (raw) {
    out->completion.prompt = std::move(prompt);
    return out;
  }
  chat::ChatInput input;
  if (!system.empty()) input.messages.push_back({{"role", "system"}, {"content", system}});
  input.messages.push_back({{"role", "user"}, {"content", std::move(prompt)}});
  if (auto t = ApplyThink(body, input); !t) return t.error();
  out->completion.chat = std::move(input);
  return out;
}

Result<GenerateRequest> ParseChat(const OJson& body, const discovery::OllamaDefaults& defaults) {
  auto out = ParseCommon(body, defaults);
  if (!out) return out;
  chat::ChatInput input;
  if (const OJson* messages = Find(body, "messages")) {
    auto converted = ChatMessages(*messages);
    if (!converted) return converted.error();
    input.messages = std::move(*converted);
  }
  out->load_only = input.messages.empty();
  bool has_system = false;
  for (const OJson& m : input.messages) has_system |= m.value("role", "") == "system";
  if (!has_system && !defaults.system.empty()) {
    input.messages.insert(input.messages.begin(),
                          OJson{{"role", "system"}, {"content", defaults.system}});
  }
  if (const OJson* tools = Find(body, "tools")) {
    if (!tools->is_array()) return Error("tools must be a list");
    for (size_t i = 0; i < tools->size(); ++i) {
      if (!(*tools)[i].is_object()) {
        return Error("tools[" + std::to_string(i) + "] must be an object");
      }
    }
    if (!tools->empty()) input.tools = *tools;
  }
  if (auto t = ApplyThink(body, input); !t) return t.error();
  out->completion.chat = std::move(input);
  return out;
}

Result<EmbedRequest> ParseEmbed(const OJson& body) {
  EmbedRequest out;
  auto model = ModelField(body);
  if (!model) return model.error();
  out.model = *model;
  if (const OJson* input = Find(body, "input")) {
    auto list = StopList(*input, "input");  // same shape: a string or strings
    if (!list) return Error("input must be a string or a list of strings");
    if (input->is_array() && list->size() != input->size()) {
      return Error("input must not contain empty strings");
    }
    out.inputs = std::move(*list);
  }
  if (const OJson* t = Find(body, "truncate")) {
    auto b = Bool(*t, "truncate");
    if (!b) return b.error();
    out.truncate = *b;
  }
  if (const OJson* d = Find(body, "dimensions")) {
    auto n = Integer(*d, "dimensions");
    if (!n) return n.error();
    if (*n < 1 || *n > 1 << 20) return Error("dimensions must be a positive integer");
    out.dimensions = static_cast<int>(*n);
  }
  auto keep_alive = KeepAliveField(body);
  if (!keep_alive) return keep_alive.error();
  out.keep_alive = *keep_alive;
  return out;
}

Result<EmbedRequest> ParseLegacyEmbedding(const OJson& body) {
  EmbedRequest out;
  out.legacy = true;
  auto model = ModelField(body);
  if (!model) return model.error();
  out.model = *model;
  if (const OJson* p = Find(body, "prompt")) {
    if (!p->is_string()) return Error("prompt must be a string");
    if (!p->get_ref<const std::string&>().empty()) out.inputs.push_back(p->get<std::string>());
  }
  auto keep_alive = KeepAliveField(body);
  if (!keep_alive) return keep_alive.error();
  out.keep_alive = *keep_alive;
  return out;
}

}  // namespace shimmy::server::ollama
