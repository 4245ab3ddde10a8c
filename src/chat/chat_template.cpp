#include "chat/chat_template.h"

#include <algorithm>
#include <string>
#include <utility>

#include "chat/chat_input.h"
#include "chat/fallback_templates.h"

namespace shimmy::chat {
namespace {

std::string TokenText(const Vocab& vocab, TokenId id) {
  return vocab.valid(id) ? std::string(vocab.tokens[static_cast<size_t>(id)]) : std::string();
}

}  // namespace

Result<ChatTemplate> ChatTemplate::FromSource(std::string_view source, std::string bos_token,
                                              std::string eos_token, std::string name) {
  auto parsed = jinja::Template::Parse(source);
  if (!parsed) return Error("chat template: " + parsed.error().message());
  ChatTemplate t;
  t.name_ = std::move(name);
  t.source_ = std::make_shared<const std::string>(source);
  t.template_ = std::move(*parsed);
  t.bos_token_ = std::move(bos_token);
  t.eos_token_ = std::move(eos_token);
  t.Probe();
  return t;
}

Result<ChatTemplate> ChatTemplate::Fallback(std::string_view family, std::string bos_token,
                                            std::string eos_token) {
  auto source = FallbackSource(family);
  if (!source) return Error("unknown chat template family '" + std::string(family) + "'");
  return FromSource(*source, std::move(bos_token), std::move(eos_token), std::string(family));
}

Result<ChatTemplate> ChatTemplate::ForModel(const gguf::GgufFile& file, const Vocab& vocab) {
  std::string bos = TokenText(vocab, vocab.bos);
  std::string eos = TokenText(vocab, vocab.eos);
  auto own = file.GetString("tokenizer.chat_template");
  if (!own || own->empty()) return Fallback(PickFallback(file, vocab), bos, eos);
  auto t = FromSource(*own, bos, eos, "gguf");
  if (!t) return t;
  if (auto tool = file.GetString("tokenizer.chat_template.tool_use"); tool && !tool->empty()) {
    auto parsed = jinja::Template::Parse(*tool);
    if (!parsed) return Error("chat template (tool_use): " + parsed.error().message());
    t->tool_template_ = std::move(*parsed);
  }
  return t;
}

void ChatTemplate::Probe() {
  // Some templates insist on a system turn or alternate roles strictly; a
  // probe that raises just leaves the conservative answer.
  const std::string marker = "Shimmy-probe-7f3a";
  ChatInput in;
  in.messages = Json::array({{{"role", "user"}, {"content", marker}}});
  if (auto out = RenderWith(*template_, in.messages, in); out.ok() && !bos_token_.empty()) {
    renders_bos_ = out->rfind(bos_token_, 0) == 0;
  }
  Json parts = Json::array(
      {{{"role", "user"}, {"content", Json::array({{{"type", "text"}, {"text", marker}}})}}});
  if (auto out = RenderWith(*template_, parts, in); out.ok()) {
    prints_content_parts_ = out->find(marker) != std::string::npos &&
                            out->find("'type'") == std::string::npos &&
                            out->find("\"type\"") == std::string::npos;
  }
}

Result<std::string> ChatTemplate::RenderWith(const jinja::Template& tmpl, const Json& messages,
                                             const ChatInput& input) const {
  Json context = Json::object();
  context["messages"] = messages;
  if (!input.tools.is_null()) context["tools"] = input.tools;
  context["add_generation_prompt"] = input.add_generation_prompt;
  context["bos_token"] = bos_token_;
  context["eos_token"] = eos_token_;
  for (const auto& [key, value] : input.extra.items()) context[key] = value;
  jinja::RenderOptions options;
  if (now_) options.now = now_;
  return tmpl.Render(context, options);
}

Result<std::string> ChatTemplate::Render(const ChatInput& input) const {
  if (!input.messages.is_array()) return Error("messages must be an array");
  const Json messages =
      input.normalize ? NormalizeMessages(input.messages, !prints_content_parts_) : input.messages;
  const bool with_tools = tool_template_ && input.tools.is_array() && !input.tools.empty();
  auto out = RenderWith(with_tools ? *tool_template_ : *template_, messages, input);
  if (!out) return Error("chat template: " + out.error().message());
  return out;
}

std::vector<TokenId> StopTokens(const Vocab& vocab, const ChatTemplate& tmpl) {
  std::vector<TokenId> stops = vocab.eog;
  // Render a finished exchange and look at what follows the assistant's
  // text: the first special token there is this template's end of turn.
  const std::string answer = "Shimmy-answer-7f3a";
  ChatInput in;
  in.add_generation_prompt = false;
  in.messages = Json::array(
      {{{"role", "user"}, {"content", "Hi"}}, {{"role", "assistant"}, {"content", answer}}});
  if (auto out = tmpl.Render(in); out.ok()) {
    const size_t at = out->rfind(answer);
    if (at != std::string::npos) {
      const std::string tail = out->substr(at + answer.size(), 64);
      bool found = false;
      for (size_t i = 0; i < tail.size() && !found; ++i) {
        for (size_t len = tail.size() - i; len >= 2 && !found; --len) {
          const TokenId id = vocab.Find(tail.substr(i, len));
          if (id == kNoToken) continue;
          const TokenType type = vocab.type(id);
          if (vocab.IsControlLike(id) || type == TokenType::kUserDefined) {
            stops.push_back(id);
            found = true;
          }
        }
      }
    }
  }
  std::sort(stops.begin(), stops.end());
  stops.erase(std::unique(stops.begin(), stops.end()), stops.end());
  return stops;
}

}  // namespace shimmy::chat
