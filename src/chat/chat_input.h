// Normalising OpenAI-shaped messages for chat templates.
//
// Clients send what the OpenAI API allows; templates were written against
// Hugging Face's conventions. The gaps that matter:
//  - tool_calls[].function.arguments is JSON *text* in OpenAI's API but an
//    object in HF's (templates do `arguments | tojson` or iterate items);
//  - content may be a list of parts ([{"type": "text", "text": ...}]) which
//    many templates cannot print.
// Pure functions on JSON; no state.
#pragma once

#include <nlohmann/json.hpp>

namespace shimmy::chat {

using Json = nlohmann::ordered_json;

// Returns `messages` with every tool call's arguments parsed into an object
// when they are JSON text of an object (other text is left as it is), and,
// when `join_text_parts`, every content list made only of text parts
// replaced by the parts' text joined with "\n". Non-text parts (images) are
// left in place for templates that understand them.
Json NormalizeMessages(const Json& messages, bool join_text_parts);

}  // namespace shimmy::chat
