// GGUF metadata values as JSON and as one line of text, with long arrays
// abbreviated to their first elements.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "gguf/value.h"

namespace shimmy::app {

constexpr size_t kArrayPreview = 8;

// Scalars map to JSON scalars; arrays up to `max_items` map to JSON arrays;
// longer ones to {"type":"array","elem_type":..,"length":N,"head":[..]}.
nlohmann::json ValueToJson(const gguf::Value& value, size_t max_items = kArrayPreview);

// One line for terminals: strings quoted and cut at `max_chars`.
std::string ValueToText(const gguf::Value& value, size_t max_chars = 100);

}  // namespace shimmy::app
