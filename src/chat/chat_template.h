// A model's chat template: messages (+ tools) -> the prompt text the model
// was trained on.
//
//   auto tmpl = chat::ChatTemplate::ForModel(file, tokenizer.vocab());
//   chat::ChatInput in;
//   in.messages = {{{"role", "user"}, {"content", "Hello"}}};
//   auto prompt = tmpl->Render(in);                       // Result<std::string>
//   auto ids = tokenizer.Encode(*prompt, {.add_special = !tmpl->renders_bos(),
//                                         .parse_special = true});
//
// ForModel takes the GGUF's own `tokenizer.chat_template` first; a model
// without one gets a built-in fallback (chatml, llama2, llama3, mistral,
// gemma, phi3) chosen from its metadata and vocabulary, so no model is ever
// left without a prompt format. Templates are rendered by src/jinja exactly
// as Hugging Face's apply_chat_template would.
//
// Messages come in OpenAI's shape and are normalised first (see
// NormalizeMessages in chat_input.h): tool-call arguments given as JSON text
// become objects, text-only content parts are joined into one string.
//
// A ChatTemplate is immutable after creation; Render may be called from
// many threads at once. Copies share the parsed template.
#pragma once

#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/gguf_file.h"
#include "jinja/template.h"
#include "tokenizer/vocab.h"

namespace shimmy::chat {

using Json = nlohmann::ordered_json;

struct ChatInput {
  Json messages = Json::array();  // OpenAI-shaped messages
  Json tools = nullptr;           // null: no tools (the variable stays undefined)
  bool add_generation_prompt = true;
  // Further template variables (enable_thinking, documents, ...). Keys here
  // override the built-in ones (bos_token, eos_token, ...).
  Json extra = Json::object();
  // Adapt OpenAI-shaped messages (chat_input.h). Off renders them exactly as
  // given, as Hugging Face's apply_chat_template would.
  bool normalize = true;
};

class ChatTemplate {
 public:
  // A template from its Jinja source. `bos_token` / `eos_token` fill the
  // variables of the same names. Errors: a syntax error (line, column).
  static Result<ChatTemplate> FromSource(std::string_view source, std::string bos_token,
                                         std::string eos_token, std::string name = "custom");

  // The model's own template, else a fallback picked from metadata. A
  // `tokenizer.chat_template.tool_use` template, when present, renders the
  // requests that carry tools (Hugging Face's rule for named templates).
  static Result<ChatTemplate> ForModel(const gguf::GgufFile& file, const Vocab& vocab);

  // A built-in fallback by name: chatml, llama2, llama3, mistral, gemma,
  // phi3. Errors for an unknown name.
  static Result<ChatTemplate> Fallback(std::string_view family, std::string bos_token,
                                       std::string eos_token);

  // Renders `input` (messages normalised first: see chat_input.h; text-only
  // content lists are joined unless the template prints such lists
  // itself). Errors carry the template's line/column, and
  // raise_exception(msg) gives an error whose message ends with msg.
  Result<std::string> Render(const ChatInput& input) const;

  // "gguf" for a model's own template, "custom" (or the given name) for one
  // from source, the family name for a fallback.
  const std::string& name() const { return name_; }
  const std::string& source() const { return *source_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }

  // True when the template itself writes bos_token at the start of the
  // prompt, so the tokenizer must not add another BOS.
  bool renders_bos() const { return renders_bos_; }

  // Clock for strftime_now (tests pin it); empty: local time.
  void set_clock(std::function<std::tm()> now) { now_ = std::move(now); }

 private:
  ChatTemplate() = default;
  // Learns renders_bos_ and prints_content_parts_ by rendering probes.
  void Probe();
  Result<std::string> RenderWith(const jinja::Template& tmpl, const Json& messages,
                                 const ChatInput& input) const;

  std::string name_;
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const jinja::Template> template_;
  std::shared_ptr<const jinja::Template> tool_template_;  // may be null
  bool prints_content_parts_ = false;
  std::string bos_token_;
  std::string eos_token_;
  bool renders_bos_ = false;
  std::function<std::tm()> now_;
};

// The tokens that end an assistant turn for this model: the vocabulary's
// end-of-generation tokens (EOS, EOT, EOM, well-known end-of-turn markers)
// plus any special token the template writes right after an assistant
// message (e.g. <|im_end|>, <|eot_id|>, <end_of_turn>, <|end|>). Sorted,
// unique.
std::vector<TokenId> StopTokens(const Vocab& vocab, const ChatTemplate& tmpl);

}  // namespace shimmy::chat
