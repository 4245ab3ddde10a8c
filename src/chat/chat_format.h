// Everything a model's chat turn needs, bundled: its template, the tokens
// that end its turn, how it writes tool calls and whether it reasons in
// tags. The server and `shimmy chat` take one per loaded model.
//
//   auto format = chat::ChatFormat::ForModel(file, vocab);   // once per model
//   auto turn = format->Prepare(input);                       // per request
//   // tokenize turn->prompt (no extra BOS when format->tmpl.renders_bos()),
//   // generate stopping at format->stop_tokens, and feed the text to
//   chat::ChatOutputParser parser(turn->output);              // content/reasoning/tool calls
//
// Immutable after ForModel; Prepare may run on many threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "chat/chat_template.h"
#include "chat/reasoning.h"
#include "chat/tool_calls.h"

namespace shimmy::chat {

struct PreparedTurn {
  std::string prompt;         // the rendered prompt
  ChatOutputOptions output;   // how to read what the model writes back
};

struct ChatFormat {
  ChatTemplate tmpl;
  std::vector<TokenId> stop_tokens;     // sorted (StopTokens)
  ToolCallFormat tool_format = ToolCallFormat::kGeneric;
  std::optional<ReasoningTags> reasoning;  // nullopt: the template shows no reasoning tags

  // The model's template (or fallback) and what its source says about tool
  // calls and reasoning. Errors: a template that does not parse.
  static Result<ChatFormat> ForModel(const gguf::GgufFile& file, const Vocab& vocab);

  // Renders `input` and says how to parse the answer: tool calls only when
  // the request offers tools (gpt-oss's channels always), reasoning when the
  // template uses tags, starting inside them when the prompt opened one.
  Result<PreparedTurn> Prepare(const ChatInput& input) const;
};

}  // namespace shimmy::chat
