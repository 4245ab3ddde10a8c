// Anthropic /v1/messages bodies -> CompletionRequest (see api_anthropic.h
// for the mapping and the choices made). Pure functions.
#include <cmath>

#include "server/api_anthropic.h"

namespace shimmy::server::anthropic {
namespace {

const OJson* Find(const OJson& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Error FieldError(const std::string& field, std::string_view what) {
  return Error(field + ": " + std::string(what));
}

// The text of a string or of a list of text blocks, joined with "\n".
Result<std::string> TextOf(const OJson& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) return FieldError(field, "must be a string or a list of text blocks");
  std::string text;
  for (size_t i = 0; i < v.size(); ++i) {
    const OJson& block = v[i];
    const std::string at = field + "[" + std::to_string(i) + "]";
    if (!block.is_object() || block.value("type", "") != "text") {
      const std::string type = block.is_object() ? block.value("type", "") : "";
      return FieldError(
          at, type.empty() ? "must be a text block" : type + " blocks are not supported here");
    }
    const OJson* t = Find(block, "text");
    if (t == nullptr || !t->is_string()) return FieldError(at + ".text", "must be a string");
    if (i > 0) text += '\n';
    text += t->get<std::string>();
  }
  return text;
}

// One user turn: tool results become "tool" messages (first, as Anthropic
// requires them first), the text one user message.
Status ConvertUser(const OJson& blocks, const std::string& field, OJson& out) {
  std::vector<std::string> texts;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const OJson& block = blocks[i];
    const std::string at = field + "[" + std::to_string(i) + "]";
    const std::string type = block.is_object() ? block.value("type", "") : "";
    if (type == "text") {
      const OJson* t = Find(block, "text");
      if (t == nullptr || !t->is_string()) return FieldError(at + ".text", "must be a string");
      texts.push_back(t->get<std::string>());
    } else if (type == "tool_result") {
      const OJson* id = Find(block, "tool_use_id");
      if (id == nullptr || !id->is_string()) {
        return FieldError(at + ".tool_use_id", "must be a string");
      }
      std::string content;
      if (const OJson* c = Find(block, "content")) {
        auto text = TextOf(*c, at + ".content");
        if (!text) return text.error();
        content = std::move(*text);
      }
      if (const OJson* e = Find(block, "is_error"); e && e->is_boolean() && e->get<bool>()) {
        content = "Error: " + content;
      }
      out.push_back({{"role", "tool"}, {"tool_call_id", *id}, {"content", std::move(content)}});
    } else {
      return FieldError(
          at, type.empty() ? "must be a content block" : type + " blocks are not supported");
    }
  }
  if (!texts.empty()) {
    std::string joined;
    for (size_t i = 0; i < texts.size(); ++i) joined += (i ? "\n" : "") + texts[i];
    out.push_back({{"role", "user"}, {"content", std::move(joined)}});
  }
  return {};
}

// One assistant turn: text, thinking and tool_use blocks -> one message.
Status ConvertAssistant(const OJson& blocks, const std::string& field, OJson& out) {
  std::string text, thinking;
  OJson calls = OJson::array();
  for (size_t i = 0; i < blocks.size(); ++i) {
    const OJson& block = blocks[i];
    const std::string at = field + "[" + std::to_string(i) + "]";
    const std::string type = block.is_object() ? block.value("type", "") : "";
    if (type == "text") {
      const OJson* t = Find(block, "text");
      if (t == nullptr || !t->is_string()) return FieldError(at + ".text", "must be a string");
      text += t->get<std::string>();
    } else if (type == "thinking") {
      const OJson* t = Find(block, "thinking");
      if (t == nullptr || !t->is_string()) return FieldError(at + ".thinking", "must be a string");
      thinking += t->get<std::string>();
    } else if (type == "redacted_thinking") {
      continue;  // opaque to us
    } else if (type == "tool_use") {
      const OJson* id = Find(block, "id");
      const OJson* name = Find(block, "name");
      if (id == nullptr || !id->is_string()) return FieldError(at + ".id", "must be a string");
      if (name == nullptr || !name->is_string()) {
        return FieldError(at + ".name", "must be a string");
      }
      const OJson* input = Find(block, "input");
      if (input != nullptr && !input->is_object()) {
        return FieldError(at + ".input", "must be an object");
      }
      calls.push_back(
          {{"id", *id},
           {"type", "function"},
           {"function", {{"name", *name}, {"arguments", input ? *input : OJson::object()}}}});
    } else {
      return FieldError(
          at, type.empty() ? "must be a content block" : type + " blocks are not supported");
    }
  }
  OJson msg = {{"role", "assistant"}, {"content", std::move(text)}};
  if (!thinking.empty()) {
    msg["reasoning_content"] = thinking;    // Qwen-style templates
    msg["thinking"] = std::move(thinking);  // gpt-oss's
  }
  if (!calls.empty()) msg["tool_calls"] = std::move(calls);
  out.push_back(std::move(msg));
  return {};
}

}  // namespace

Result<OJson> ConvertMessages(const OJson& system, const OJson& messages) {
  OJson out = OJson::array();
  if (!system.is_null()) {
    auto text = TextOf(system, "system");
    if (!text) return text.error();
    if (!text->empty()) out.push_back({{"role", "system"}, {"content", std::move(*text)}});
  }
  if (!messages.is_array()) return FieldError("messages", "must be a list");
  if (messages.empty()) return FieldError("messages", "must not be empty");
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    const OJson& m = messages[i];
    if (!m.is_object()) return FieldError(at, "must be an object");
    const std::string role = m.value("role", "");
    if (role != "user" && role != "assistant") {
      return FieldError(at + ".role", "must be \"user\" or \"assistant\"");
    }
    const OJson* content = Find(m, "content");
    if (content == nullptr) return FieldError(at + ".content", "required");
    if (content->is_string()) {
      out.push_back({{"role", role}, {"content", *content}});
      continue;
    }
    if (!content->is_array()) {
      return FieldError(at + ".content", "must be a string or a list of content blocks");
    }
    Status s = role == "user" ? ConvertUser(*content, at + ".content", out)
                              : ConvertAssistant(*content, at + ".content", out);
    if (!s) return s.error();
  }
  return out;
}

Result<OJson> ConvertTools(const OJson& tools, const OJson& tool_choice) {
  OJson out = OJson::array();
  if (tools.is_null()) return out;
  if (!tools.is_array()) return FieldError("tools", "must be a list");
  for (size_t i = 0; i < tools.size(); ++i) {
    const std::string at = "tools[" + std::to_string(i) + "]";
    const OJson& t = tools[i];
    if (!t.is_object()) return FieldError(at, "must be an object");
    const std::string type = t.value("type", "custom");
    if (type != "custom")
      return FieldError(at + ".type", "tool type " + type + " is not supported");
    const OJson* name = Find(t, "name");
    if (name == nullptr || !name->is_string()) return FieldError(at + ".name", "must be a string");
    const OJson* schema = Find(t, "input_schema");
    if (schema == nullptr || !schema->is_object()) {
      return FieldError(at + ".input_schema", "must be an object");
    }
    OJson fn = {{"name", *name}};
    if (const OJson* d = Find(t, "description"); d && d->is_string()) fn["description"] = *d;
    fn["parameters"] = *schema;
    out.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  if (tool_choice.is_null()) return out;
  if (!tool_choice.is_object()) return FieldError("tool_choice", "must be an object");
  const std::string choice = tool_choice.value("type", "");
  if (choice == "auto" || choice == "any") return out;
  if (choice == "none") return OJson::array();
  if (choice == "tool") {
    const OJson* name = Find(tool_choice, "name");
    if (name == nullptr || !name->is_string()) {
      return FieldError("tool_choice.name", "must be a string");
    }
    for (const OJson& t : out) {
      if (t["function"]["name"] == *name) return OJson::array({t});
    }
    return FieldError("tool_choice.name", "no tool named " + name->get<std::string>());
  }
  return FieldError("tool_choice.type", "must be auto, any, tool or none");
}

Result<MessagesRequest> ParseMessagesRequest(const OJson& body) {
  MessagesRequest out;
  const OJson* model = Find(body, "model");
  if (model == nullptr) return FieldError("model", "required");
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    return FieldError("model", "must be a non-empty string");
  }
  out.model = model->get<std::string>();
  out.completion.model = out.model;

  const OJson* max_tokens = Find(body, "max_tokens");
  if (max_tokens == nullptr) return FieldError("max_tokens", "required");
  if (!max_tokens->is_number_integer() || max_tokens->get<int64_t>() < 1) {
    return FieldError("max_tokens", "must be a positive integer");
  }
  out.completion.gen.max_tokens =
      static_cast<int>(std::min<int64_t>(max_tokens->get<int64_t>(), 1 << 30));

  const OJson* messages = Find(body, "messages");
  if (messages == nullptr) return FieldError("messages", "required");
  const OJson* system = Find(body, "system");
  auto converted = ConvertMessages(system ? *system : OJson(nullptr), *messages);
  if (!converted) return converted.error();
  chat::ChatInput input;
  input.messages = std::move(*converted);

  const OJson* tools = Find(body, "tools");
  const OJson* tool_choice = Find(body, "tool_choice");
  auto converted_tools =
      ConvertTools(tools ? *tools : OJson(nullptr), tool_choice ? *tool_choice : OJson(nullptr));
  if (!converted_tools) return converted_tools.error();
  if (!converted_tools->empty()) input.tools = std::move(*converted_tools);

  if (const OJson* thinking = Find(body, "thinking")) {
    const std::string type = thinking->is_object() ? thinking->value("type", "") : "";
    if (type != "enabled" && type != "disabled") {
      return FieldError("thinking.type", "must be \"enabled\" or \"disabled\"");
    }
    input.extra["enable_thinking"] = type == "enabled";
  }
  out.completion.chat = std::move(input);

  // Anthropic's defaults: temperature 1, no top_p/top_k, no penalties.
  SamplingParams& s = out.completion.gen.sampling;
  auto number = [&](std::string_view key, double lo, double hi, float* dst) -> Status {
    const OJson* v = Find(body, key);
    if (v == nullptr) return {};
    const std::string field(key);
    if (!v->is_number() || !std::isfinite(v->get<double>()))
      return FieldError(field, "must be a number");
    const double d = v->get<double>();
    if (d < lo || d > hi) {
      return FieldError(field, "must be in [" + OJson(lo).dump() + ", " + OJson(hi).dump() +
                                   "], got " + v->dump());
    }
    *dst = static_cast<float>(d);
    return {};
  };
  if (Status st = number("temperature", 0, 1, &s.temperature); !st) return st.error();
  if (Status st = number("top_p", 0, 1, &s.top_p); !st) return st.error();
  if (const OJson* k = Find(body, "top_k")) {
    if (!k->is_number_integer() || k->get<int64_t>() < 0) {
      return FieldError("top_k", "must be a non-negative integer");
    }
    s.top_k = static_cast<int32_t>(std::min<int64_t>(k->get<int64_t>(), 1 << 30));
  }
  if (const OJson* stop = Find(body, "stop_sequences")) {
    if (!stop->is_array()) return FieldError("stop_sequences", "must be a list of strings");
    for (const OJson& seq : *stop) {
      if (!seq.is_string()) return FieldError("stop_sequences", "must be a list of strings");
      if (!seq.get_ref<const std::string&>().empty()) {
        out.completion.gen.stop.push_back(seq.get<std::string>());
      }
    }
  }
  if (const OJson* stream = Find(body, "stream")) {
    if (!stream->is_boolean()) return FieldError("stream", "must be true or false");
    out.stream = stream->get<bool>();
  }
  return out;
}

}  // namespace shimmy::server::anthropic
