#include "chat/fallback_templates.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace shimmy::chat {
namespace {

// Shared by every fallback: message text whatever the content's shape.
#define SHIMMY_TEXT_MACRO                                                                  \
  "{%- macro text(c) -%}"                                                                  \
  "{%- if c is string -%}{{- c -}}"                                                        \
  "{%- elif c is iterable and c is not mapping -%}"                                        \
  "{%- for p in c -%}{%- if p.type == 'text' -%}{{- p.text -}}{%- endif -%}{%- endfor -%}" \
  "{%- endif -%}"                                                                          \
  "{%- endmacro -%}"

// ChatML (Qwen, Hermes, many fine-tunes). Tools follow the Hermes
// convention: a <tools> block in the system turn, calls in <tool_call>.
constexpr std::string_view kChatml = SHIMMY_TEXT_MACRO R"J(
{%- set ns = namespace(sys='', start=0) -%}
{%- if messages and messages[0].role == 'system' -%}{%- set ns.sys = text(messages[0].content) -%}{%- set ns.start = 1 -%}{%- endif -%}
{%- if tools -%}
{{- '<|im_start|>system\n' -}}{%- if ns.sys -%}{{- ns.sys + '\n\n' -}}{%- endif -%}
{{- 'You can call the functions described below inside <tools></tools>.\n<tools>\n' -}}
{%- for tool in tools -%}{{- tool | tojson -}}{{- '\n' -}}{%- endfor -%}
{{- '</tools>\n\nTo call one, reply with a JSON object holding "name" and "arguments" between <tool_call> and </tool_call>:\n<tool_call>\n{"name": "function name", "arguments": {"argument": "value"}}\n</tool_call><|im_end|>\n' -}}
{%- elif ns.start == 1 -%}
{{- '<|im_start|>system\n' + ns.sys + '<|im_end|>\n' -}}
{%- endif -%}
{%- for m in messages[ns.start:] -%}
{%- if m.role == 'tool' -%}
{{- '<|im_start|>user\n<tool_response>\n' + text(m.content) + '\n</tool_response><|im_end|>\n' -}}
{%- else -%}
{{- '<|im_start|>' + m.role + '\n' + text(m.content) -}}
{%- for call in m.tool_calls or [] -%}
{%- set f = call.function if call.function is defined else call -%}
{%- if loop.first and text(m.content) -%}{{- '\n' -}}{%- endif -%}
{%- if not loop.first -%}{{- '\n' -}}{%- endif -%}
{{- '<tool_call>\n{"name": "' + f.name + '", "arguments": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}\n</tool_call>' -}}
{%- endfor -%}
{{- '<|im_end|>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}
)J";

// Llama 2 chat: [INST] turns, the system prompt inside the first one.
constexpr std::string_view kLlama2 = SHIMMY_TEXT_MACRO R"J(
{%- set ns = namespace(sys='', start=0, first=true) -%}
{%- if messages and messages[0].role == 'system' -%}{%- set ns.sys = text(messages[0].content) -%}{%- set ns.start = 1 -%}{%- endif -%}
{%- for m in messages[ns.start:] -%}
{%- if m.role == 'assistant' -%}
{{- ' ' + text(m.content) | trim + ' ' + eos_token -}}
{%- else -%}
{{- bos_token + '[INST] ' -}}
{%- if ns.first and ns.sys -%}{{- '<<SYS>>\n' + ns.sys + '\n<</SYS>>\n\n' -}}{%- endif -%}
{%- set ns.first = false -%}
{{- text(m.content) | trim + ' [/INST]' -}}
{%- endif -%}
{%- endfor -%}
)J";

// Llama 3 / 3.x: header-delimited turns ending in <|eot_id|>.
constexpr std::string_view kLlama3 = SHIMMY_TEXT_MACRO R"J(
{{- bos_token -}}
{%- if tools -%}
{{- '<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n\nYou can call these functions. To call one, reply with only a JSON object {"name": function name, "parameters": {argument: value}}.\n\n' -}}
{%- for tool in tools -%}{{- tool | tojson(indent=4) + '\n\n' -}}{%- endfor -%}
{{- '<|eot_id|>' -}}
{%- endif -%}
{%- for m in messages -%}
{%- set role = 'ipython' if m.role == 'tool' else m.role -%}
{{- '<|start_header_id|>' + role + '<|end_header_id|>\n\n' + text(m.content) | trim -}}
{%- for call in m.tool_calls or [] -%}
{%- set f = call.function if call.function is defined else call -%}
{{- '{"name": "' + f.name + '", "parameters": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}' -}}
{%- endfor -%}
{{- '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}{%- endif -%}
)J";

// Mistral instruct (v3 tokens): system text joins the last user turn, as
// Mistral's own templates do; tools go in [AVAILABLE_TOOLS] before it.
constexpr std::string_view kMistral = SHIMMY_TEXT_MACRO R"J(
{%- set ns = namespace(sys='', last_user=-1) -%}
{%- for m in messages -%}
{%- if m.role == 'system' -%}{%- set ns.sys = ns.sys + text(m.content) + '\n\n' -%}{%- endif -%}
{%- if m.role == 'user' -%}{%- set ns.last_user = loop.index0 -%}{%- endif -%}
{%- endfor -%}
{{- bos_token -}}
{%- for m in messages -%}
{%- if m.role == 'user' -%}
{%- if tools and loop.index0 == ns.last_user -%}{{- '[AVAILABLE_TOOLS] ' + tools | tojson + '[/AVAILABLE_TOOLS]' -}}{%- endif -%}
{{- '[INST] ' + (ns.sys if loop.index0 == ns.last_user else '') + text(m.content) + '[/INST]' -}}
{%- elif m.role == 'assistant' -%}
{%- if m.tool_calls -%}
{{- '[TOOL_CALLS] [' -}}
{%- for call in m.tool_calls -%}
{%- set f = call.function if call.function is defined else call -%}
{{- '{"name": "' + f.name + '", "arguments": ' + (f.arguments if f.arguments is string else f.arguments | tojson) + '}' -}}
{%- if not loop.last -%}{{- ', ' -}}{%- endif -%}
{%- endfor -%}
{{- ']' + eos_token -}}
{%- else -%}
{{- ' ' + text(m.content) + eos_token -}}
{%- endif -%}
{%- elif m.role == 'tool' -%}
{{- '[TOOL_RESULTS] {"content": ' + text(m.content) | tojson + '}[/TOOL_RESULTS]' -}}
{%- endif -%}
{%- endfor -%}
)J";

// Gemma: user/model turns; no system role, so it prefixes the first turn.
constexpr std::string_view kGemma = SHIMMY_TEXT_MACRO R"J(
{{- bos_token -}}
{%- set ns = namespace(sys='', start=0) -%}
{%- if messages and messages[0].role == 'system' -%}{%- set ns.sys = text(messages[0].content) + '\n\n' -%}{%- set ns.start = 1 -%}{%- endif -%}
{%- for m in messages[ns.start:] -%}
{%- set role = 'model' if m.role == 'assistant' else 'user' -%}
{{- '<start_of_turn>' + role + '\n' + (ns.sys if loop.first else '') + text(m.content) | trim + '<end_of_turn>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<start_of_turn>model\n' -}}{%- endif -%}
)J";

// Phi-3: <|role|> turns ending in <|end|>.
constexpr std::string_view kPhi3 = SHIMMY_TEXT_MACRO R"J(
{%- for m in messages -%}
{{- '<|' + m.role + '|>\n' + text(m.content) + '<|end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>\n' -}}{%- endif -%}
)J";

#undef SHIMMY_TEXT_MACRO

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kFallbacks = {{
    {"chatml", kChatml},
    {"llama2", kLlama2},
    {"llama3", kLlama3},
    {"mistral", kMistral},
    {"gemma", kGemma},
    {"phi3", kPhi3},
}};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<std::string_view> FallbackSource(std::string_view family) {
  for (const auto& [name, source] : kFallbacks) {
    if (name == family) return source;
  }
  return std::nullopt;
}

std::string_view PickFallback(const gguf::GgufFile& file, const Vocab& vocab) {
  auto has = [&](const char* token) { return vocab.Find(token) != kNoToken; };
  if (has("<|im_start|>")) return "chatml";
  if (has("<|start_header_id|>")) return "llama3";
  if (has("<start_of_turn>")) return "gemma";
  if (has("<|user|>") && has("<|end|>")) return "phi3";
  if (has("[INST]")) return "mistral";
  const std::string arch = file.architecture();
  const std::string name = Lower(file.GetString("general.name").value_or(""));
  if (name.find("mistral") != std::string::npos) return "mistral";
  if (arch == "phi3") return "phi3";
  if (arch.rfind("gemma", 0) == 0) return "gemma";
  if (arch == "llama" && vocab.kind == VocabKind::kSpm) return "llama2";
  return "chatml";
}

}  // namespace shimmy::chat
