// Ollama chat messages -> the OpenAI-shaped messages ChatInput takes. Pure.
//
// Ollama's shape:  {role, content, images, thinking, tool_calls: [{id?,
//                   function: {index?, name, arguments: {...}}}], tool_name}
// What templates get: {role, content, reasoning_content?, thinking?,
//                   tool_calls: [{id?, type: "function", function: {name,
//                   arguments}}], name?, tool_call_id?}
#include "server/api_ollama.h"

namespace shimmy::server::ollama {
namespace {

Result<OJson> ToolCalls(const OJson& calls, const std::string& field) {
  if (!calls.is_array()) return Error(field + " must be a list");
  OJson out = OJson::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    const OJson& call = calls[i];
    if (!call.is_object()) return Error(at + " must be an object");
    auto fn = call.find("function");
    if (fn == call.end() || !fn->is_object()) return Error(at + ".function must be an object");
    auto name = fn->find("name");
    if (name == fn->end() || !name->is_string()) {
      return Error(at + ".function.name must be a string");
    }
    OJson arguments = OJson::object();
    if (auto a = fn->find("arguments"); a != fn->end() && !a->is_null()) {
      // Objects are what Ollama sends; JSON text is left for
      // NormalizeMessages to parse.
      if (!a->is_object() && !a->is_string()) {
        return Error(at + ".function.arguments must be an object");
      }
      arguments = *a;
    }
    OJson converted = OJson::object();
    if (auto id = call.find("id"); id != call.end() && id->is_string()) converted["id"] = *id;
    converted["type"] = "function";
    converted["function"] = {{"name", *name}, {"arguments", std::move(arguments)}};
    out.push_back(std::move(converted));
  }
  return out;
}

}  // namespace

Result<OJson> ChatMessages(const OJson& messages) {
  if (!messages.is_array()) return Error("messages must be a list");
  OJson out = OJson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    const OJson& m = messages[i];
    if (!m.is_object()) return Error(at + " must be an object");
    auto role = m.find("role");
    if (role == m.end() || !role->is_string() || role->get_ref<const std::string&>().empty()) {
      return Error(at + ".role must be a non-empty string");
    }
    OJson msg = {{"role", *role}, {"content", ""}};
    if (auto c = m.find("content"); c != m.end() && !c->is_null()) {
      if (!c->is_string()) return Error(at + ".content must be a string");
      msg["content"] = *c;
    }
    if (auto images = m.find("images"); images != m.end() && !images->is_null()) {
      if (!images->is_array() || !images->empty()) {
        return Error(at + ".images are not supported: no model here reads images");
      }
    }
    if (auto t = m.find("thinking"); t != m.end() && !t->is_null()) {
      if (!t->is_string()) return Error(at + ".thinking must be a string");
      if (!t->get_ref<const std::string&>().empty()) {
        // Qwen-style templates read reasoning_content, gpt-oss's thinking.
        msg["reasoning_content"] = *t;
        msg["thinking"] = *t;
      }
    }
    if (auto calls = m.find("tool_calls"); calls != m.end() && !calls->is_null()) {
      auto converted = ToolCalls(*calls, at + ".tool_calls");
      if (!converted) return converted.error();
      if (!converted->empty()) msg["tool_calls"] = std::move(*converted);
    }
    if (auto name = m.find("tool_name"); name != m.end() && name->is_string()) {
      msg["name"] = *name;
    }
    if (auto id = m.find("tool_call_id"); id != m.end() && id->is_string()) {
      msg["tool_call_id"] = *id;
    }
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace shimmy::server::ollama
