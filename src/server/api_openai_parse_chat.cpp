// /v1/chat/completions request JSON -> CompletionRequest: the shared
// fields (ParseCommon), then messages, tools / tool_choice,
// response_format, logprobs and chat_template_kwargs. Choices are listed
// in api_openai.h.
#include <algorithm>
#include <iterator>
#include <string>

#include "server/api_openai.h"
#include "server/api_openai_fields.h"

namespace shimmy::server {
namespace {

std::optional<OJson> ParseMessage(FieldReader& r, const OJson& m, size_t i) {
  const std::string at = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) {
    r.Fail(at, "'" + at + "' must be an object", "invalid_type");
    return std::nullopt;
  }
  auto role_it = m.find("role");
  if (role_it == m.end() || !role_it->is_string()) {
    r.Fail(at + ".role", "'" + at + ".role' must be a string", "invalid_type");
    return std::nullopt;
  }
  std::string role = role_it->get<std::string>();
  static constexpr std::string_view kRoles[] = {"system",    "developer", "user",
                                                "assistant", "tool",      "function"};
  if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles)) {
    r.Fail(at + ".role", "'" + at +
                             ".role' must be one of system, developer, user, assistant, "
                             "tool, got '" +
                             role + "'");
    return std::nullopt;
  }
  OJson msg = m;
  // Templates know "system"; OpenAI's newer "developer" means the same.
  if (role == "developer") msg["role"] = "system";

  auto content = m.find("content");
  const bool may_be_empty = role == "assistant" || role == "tool" || role == "function";
  if (content == m.end() || content->is_null()) {
    if (!may_be_empty) {
      r.Fail(at + ".content", "'" + at + ".content' is required for role '" + role + "'",
             "missing_required_parameter");
      return std::nullopt;
    }
  } else if (content->is_array()) {
    for (size_t j = 0; j < content->size(); ++j) {
      const OJson& part = (*content)[j];
      const std::string pat = at + ".content[" + std::to_string(j) + "]";
      auto type = part.is_object() ? part.find("type") : part.end();
      if (!part.is_object() || type == part.end() || !type->is_string()) {
        r.Fail(pat, "'" + pat + "' must be an object with a 'type'", "invalid_type");
        return std::nullopt;
      }
      if (*type != "text") {
        r.Fail(pat + ".type", "content parts of type '" + type->get<std::string>() +
                                  "' are not supported: only text");
        return std::nullopt;
      }
      auto text = part.find("text");
      if (text == part.end() || !text->is_string()) {
        r.Fail(pat + ".text", "'" + pat + ".text' must be a string", "invalid_type");
        return std::nullopt;
      }
    }
  } else if (!content->is_string()) {
    r.Fail(at + ".content", "'" + at + ".content' must be a string or a list of content parts",
           "invalid_type");
    return std::nullopt;
  }
  if (auto calls = m.find("tool_calls");
      calls != m.end() && !calls->is_null() && !calls->is_array()) {
    r.Fail(at + ".tool_calls", "'" + at + ".tool_calls' must be a list", "invalid_type");
    return std::nullopt;
  }
  return msg;
}

void ParseMessages(FieldReader& r, chat::ChatInput& chat) {
  const OJson* messages = r.Get("messages");
  if (messages == nullptr || messages->is_null()) {
    r.Fail("messages", "missing required parameter: 'messages'", "missing_required_parameter");
    return;
  }
  if (!messages->is_array()) {
    r.Fail("messages", "'messages' must be a list of messages", "invalid_type");
    return;
  }
  if (messages->empty()) {
    r.Fail("messages", "'messages' must contain at least one message");
    return;
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    auto msg = ParseMessage(r, (*messages)[i], i);
    if (!msg) return;
    chat.messages.push_back(std::move(*msg));
  }
}

void ParseTools(FieldReader& r, chat::ChatInput& chat) {
  const OJson* tools = r.Get("tools");
  if (tools == nullptr || tools->is_null()) return;
  if (!tools->is_array()) {
    r.Fail("tools", "'tools' must be a list", "invalid_type");
    return;
  }
  for (size_t i = 0; i < tools->size(); ++i) {
    const OJson& t = (*tools)[i];
    const std::string at = "tools[" + std::to_string(i) + "]";
    auto type = t.is_object() ? t.find("type") : t.end();
    if (!t.is_object() || (type != t.end() && *type != "function")) {
      r.Fail(at + ".type", "'" + at + "' must be a tool of type 'function'");
      return;
    }
    auto fn = t.find("function");
    if (fn == t.end() || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string() ||
        (*fn)["name"].get_ref<const std::string&>().empty()) {
      r.Fail(at + ".function.name", "'" + at + ".function.name' must be a non-empty string");
      return;
    }
  }

  std::optional<std::string> only;  // a named tool_choice
  if (const OJson* choice = r.Get("tool_choice"); choice != nullptr && !choice->is_null()) {
    if (choice->is_string()) {
      const std::string& c = choice->get_ref<const std::string&>();
      if (c == "none") return;  // the model must not call: do not offer the tools
      if (c != "auto" && c != "required") {
        r.Fail("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or a function");
        return;
      }
    } else if (choice->is_object() && choice->contains("function") &&
               (*choice)["function"].is_object() && (*choice)["function"].contains("name") &&
               (*choice)["function"]["name"].is_string()) {
      only = (*choice)["function"]["name"].get<std::string>();
    } else {
      r.Fail("tool_choice",
             "'tool_choice' must be 'none', 'auto', 'required' or "
             "{\"type\":\"function\",\"function\":{\"name\":...}}");
      return;
    }
  }
  if (tools->empty()) return;
  if (!only) {
    chat.tools = *tools;
    return;
  }
  chat.tools = OJson::array();
  for (const OJson& t : *tools) {
    if (t["function"]["name"] == *only) chat.tools.push_back(t);
  }
  if (chat.tools.empty()) {
    r.Fail("tool_choice", "tool_choice names '" + *only + "', which is not in 'tools'");
  }
}

void ParseResponseFormat(FieldReader& r, CompletionRequest& req) {
  const OJson* rf = r.Get("response_format");
  if (rf == nullptr || rf->is_null()) return;
  if (!rf->is_object() || !rf->contains("type") || !(*rf)["type"].is_string()) {
    r.Fail("response_format", "'response_format' must be an object with a 'type'");
    return;
  }
  const std::string& type = (*rf)["type"].get_ref<const std::string&>();
  if (type == "text") return;
  if (type == "json_object") {
    // llama-server lets json_object carry a schema; honour it when given.
    if (auto it = rf->find("schema"); it != rf->end() && it->is_object()) {
      req.json_schema.emplace(*it);
    } else {
      req.json_object = true;
    }
    return;
  }
  if (type != "json_schema") {
    r.Fail("response_format.type",
           "'response_format.type' must be 'text', 'json_object' or 'json_schema', got '" + type +
               "'");
    return;
  }
  auto js = rf->find("json_schema");
  if (js == rf->end() || !js->is_object()) {
    r.Fail("response_format.json_schema", "'response_format.json_schema' must be an object",
           "missing_required_parameter");
    return;
  }
  auto schema = js->find("schema");
  if (schema == js->end() || !schema->is_object()) {
    r.Fail("response_format.json_schema.schema",
           "'response_format.json_schema.schema' must be a JSON schema object",
           "missing_required_parameter");
    return;
  }
  req.json_schema.emplace(*schema);
}

}  // namespace

Result<OpenAiRequest> ParseChatCompletionRequest(const OJson& body, ParamError* param_error) {
  FieldReader r(body, param_error);
  OpenAiRequest out;
  ParseCommon(r, out);
  CompletionRequest& req = out.completion;
  chat::ChatInput& chat = req.chat.emplace();
  ParseMessages(r, chat);
  ParseTools(r, chat);
  ParseResponseFormat(r, req);

  req.gen.logprobs = r.Bool("logprobs").value_or(false);
  const auto top = r.Integer("top_logprobs", 0, kMaxTopLogprobs);
  if (top.value_or(0) > 0 && !req.gen.logprobs) {
    r.Fail("top_logprobs", "'logprobs' must be true when 'top_logprobs' is set");
  }
  req.gen.sampling.n_top_logprobs = static_cast<int32_t>(top.value_or(0));

  if (const OJson* kw = r.Get("chat_template_kwargs"); kw != nullptr && !kw->is_null()) {
    if (!kw->is_object()) {
      r.Fail("chat_template_kwargs", "'chat_template_kwargs' must be an object", "invalid_type");
    } else {
      for (const auto& [key, value] : kw->items()) chat.extra[key] = value;
    }
  }
  if (r.failed()) return r.error();
  return out;
}

}  // namespace shimmy::server
