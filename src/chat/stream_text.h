// Internal helpers for the streaming output parsers (reasoning, tool calls):
// how much of a buffer's tail must be held back before it can be emitted.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "base/utf8.h"

namespace shimmy::chat::detail {

inline bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

inline std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

inline std::string_view Trim(std::string_view s) { return TrimRight(TrimLeft(s)); }

// Length of the longest proper suffix of `text` that is a prefix of `marker`:
// those bytes might still become the marker once more text arrives.
inline size_t PartialMarkerSuffix(std::string_view text, std::string_view marker) {
  if (marker.empty()) return 0;
  for (size_t k = std::min(text.size(), marker.size() - 1); k > 0; --k) {
    if (marker.starts_with(text.substr(text.size() - k))) return k;
  }
  return 0;
}

// Bytes of `text`'s tail to hold so that emitted text never ends inside a
// UTF-8 character (clients serialise each delta as a JSON string).
inline size_t Utf8HoldBack(std::string_view text) { return utf8::IncompleteTail(text); }

}  // namespace shimmy::chat::detail
