// Built-in chat templates for models whose GGUF carries none, and the rule
// that picks one from a model's metadata. Written here from the published
// prompt formats of each family.
#pragma once

#include <optional>
#include <string_view>

#include "gguf/gguf_file.h"
#include "tokenizer/vocab.h"

namespace shimmy::chat {

// Jinja source of a fallback: chatml, llama2, llama3, mistral, gemma, phi3.
std::optional<std::string_view> FallbackSource(std::string_view family);

// The family whose special tokens the vocabulary has (<|im_start|> ->
// chatml, <|start_header_id|> -> llama3, <start_of_turn> -> gemma, <|user|>
// -> phi3, [INST] -> mistral), else by architecture and name (llama with a
// SentencePiece vocabulary -> llama2, "mistral" in general.name -> mistral),
// else chatml.
std::string_view PickFallback(const gguf::GgufFile& file, const Vocab& vocab);

}  // namespace shimmy::chat
