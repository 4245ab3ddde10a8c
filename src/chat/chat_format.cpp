#include "chat/chat_format.h"

#include <utility>

namespace shimmy::chat {

Result<ChatFormat> ChatFormat::ForModel(const gguf::GgufFile& file, const Vocab& vocab) {
  auto tmpl = ChatTemplate::ForModel(file, vocab);
  if (!tmpl) return tmpl.error();
  ChatFormat f{.tmpl = std::move(*tmpl)};
  f.stop_tokens = StopTokens(vocab, f.tmpl);
  f.tool_format = DetectToolCallFormat(f.tmpl.source(), file.architecture());
  f.reasoning = DetectReasoningTags(f.tmpl.source());
  return f;
}

Result<PreparedTurn> ChatFormat::Prepare(const ChatInput& input) const {
  auto prompt = tmpl.Render(input);
  if (!prompt) return prompt.error();
  PreparedTurn turn;
  const bool has_tools = input.tools.is_array() && !input.tools.empty();
  // gpt-oss writes reasoning and answers in channels whether or not tools
  // are offered, so its parser always runs.
  turn.output.tool_calls.format = has_tools || tool_format == ToolCallFormat::kGptOss
                                      ? tool_format
                                      : ToolCallFormat::kNone;
  turn.output.tool_calls.tools = input.tools;
  turn.output.reasoning = reasoning;
  turn.output.starts_in_reasoning = reasoning && PromptOpensReasoning(*prompt, *reasoning);
  turn.prompt = std::move(*prompt);
  return turn;
}

}  // namespace shimmy::chat
