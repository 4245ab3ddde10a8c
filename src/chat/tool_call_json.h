// Internal: JSON pieces shared by the tool-call format parsers. Scanning a
// JSON value inside a growing buffer, and turning the many JSON shapes models
// use for one call into a ToolCall with normalised arguments.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/tool_calls.h"

namespace shimmy::chat::detail {

// How far a parse of a growing buffer got. kIncomplete: what is there is a
// valid beginning, more text may finish it; kInvalid: no continuation can.
enum class Scan { kComplete, kIncomplete, kInvalid };

struct JsonScan {
  Scan status = Scan::kInvalid;
  size_t end = 0;  // kComplete: one past the value's last byte
  Json value;      // kComplete: the parsed value
};

// Scan progress kept between calls on a growing buffer, per start position,
// so a long open value costs O(new bytes) per Feed instead of O(value).
// Valid only while the buffer grows by appending: drop it when the buffer's
// front moves (a new block).
struct ScanCache {
  struct State {
    size_t next = 0;          // first byte not yet scanned
    std::vector<char> stack;  // closers still expected
    bool in_string = false;
    bool escape = false;
    JsonScan result{Scan::kIncomplete, 0, {}};
  };
  std::map<size_t, State> at;
};

// Scans the object or array that starts at text[pos] (which must be '{' or
// '['; anything else is kInvalid). Cost: O(text.size() - pos), or O(bytes
// added since the last call) with a cache.
JsonScan ScanJsonValue(std::string_view text, size_t pos, ScanCache* cache = nullptr);

// Compact JSON text of an arguments object. Accepts an object, a string that
// holds a JSON object (some models double-encode), or null/absent ("{}").
// nullopt for anything else.
std::optional<std::string> NormalizeArguments(const Json* arguments);

// A call written as a JSON object: {"name", "arguments"|"parameters", "id"?},
// optionally wrapped as {"type":"function","function":{...}} or
// {"function":{...},"id":..}. nullopt when it is not call-shaped.
std::optional<ToolCall> CallFromJson(const Json& object);

// Compact JSON for a value (invalid UTF-8 replaced, never throws).
std::string DumpCompact(const Json& value);

// Whether `name` looks like a function name (letters, digits, _ - . :),
// non-empty. Used to reject prose where a name is expected.
bool IsFunctionName(std::string_view name);

// Literal matching against a buffer that may end early.
enum class Match { kYes, kPartial, kNo };
// Does `lit` appear at text[pos]? kPartial when the text ends inside it.
Match MatchAt(std::string_view text, size_t pos, std::string_view lit);

}  // namespace shimmy::chat::detail
