#include "chat/chat_input.h"

#include <string>

namespace shimmy::chat {
namespace {

void ParseArguments(Json& call) {
  Json* args = nullptr;
  if (call.contains("function") && call["function"].is_object()) {
    args = call["function"].contains("arguments") ? &call["function"]["arguments"] : nullptr;
  } else if (call.contains("arguments")) {
    args = &call["arguments"];
  }
  if (args == nullptr || !args->is_string()) return;
  Json parsed = Json::parse(args->get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) *args = std::move(parsed);
}

// The joined text when every part is {"type": "text", "text": string}.
bool JoinTextParts(const Json& parts, std::string* out) {
  std::string text;
  for (const Json& part : parts) {
    if (!part.is_object() || part.value("type", "") != "text") return false;
    auto it = part.find("text");
    if (it == part.end() || !it->is_string()) return false;
    if (!text.empty()) text += '\n';
    text += it->get<std::string>();
  }
  *out = std::move(text);
  return true;
}

}  // namespace

Json NormalizeMessages(const Json& messages, bool join_text_parts) {
  Json out = messages;
  if (!out.is_array()) return out;
  for (Json& message : out) {
    if (!message.is_object()) continue;
    if (auto calls = message.find("tool_calls"); calls != message.end() && calls->is_array()) {
      for (Json& call : *calls) {
        if (call.is_object()) ParseArguments(call);
      }
    }
    auto content = message.find("content");
    std::string joined;
    if (join_text_parts && content != message.end() && content->is_array() &&
        JoinTextParts(*content, &joined)) {
      *content = std::move(joined);
    }
  }
  return out;
}

}  // namespace shimmy::chat
