// Internal: each tool-call format as data for the block engine in
// tool_calls.cpp. A format is a set of start markers, each with a parser for
// the "block" that begins at that marker (one or more calls), and optionally a
// rule for a block that starts the output with no marker at all (Llama 3's
// bare JSON, the generic whole-output JSON, functionary's ">>>" prompt).
//
// A block parser sees the buffered text from the block start (marker
// included) and answers complete / incomplete / invalid. It must be
// prefix-monotone: once it says complete (with some `end`) or invalid for a
// text, it says the same for any longer text. That is what makes the
// engine's result independent of chunking.
#pragma once

#include <string_view>
#include <vector>

#include "chat/stream_text.h"
#include "chat/tool_call_json.h"

namespace shimmy::chat::detail {

struct BlockContext {
  const Json* tools = nullptr;      // OpenAI tools array or null
  bool at_end = false;              // no more text will come
  ScanCache* json_cache = nullptr;  // for scans of `text` itself (not of substrings)
};

struct BlockResult {
  Scan status = Scan::kIncomplete;
  size_t end = 0;               // kComplete: bytes consumed from the block start
  std::vector<ToolCall> calls;  // kComplete: may be empty (e.g. functionary ">>>all\n")
  static BlockResult Incomplete() { return {}; }
  static BlockResult Invalid() { return {Scan::kInvalid, 0, {}}; }
};

// `marker_len` bytes at the front of `text` are the marker that opened the
// block (0 for a marker-less start block).
using BlockParser = BlockResult (*)(std::string_view text, size_t marker_len,
                                    const BlockContext& ctx);

struct Marker {
  std::string_view text;  // no marker may contain another as a substring
  BlockParser parse;
};

struct FormatSpec {
  std::vector<Marker> markers;
  // A block at the very start of the output (after leading whitespace) whose
  // first byte is one of `start_bytes`.
  std::string_view start_bytes;
  BlockParser start_parse = nullptr;
  // The prompt already wrote the marker: the output begins inside a block.
  bool starts_in_block = false;
};

// The spec for a block-engine format (not kGptOss, which has its own parser).
const FormatSpec& SpecFor(ToolCallFormat format);
// The specs of the formats in tool_call_formats_more.cpp; null for others.
const FormatSpec* MoreSpecFor(ToolCallFormat format);

inline constexpr std::string_view kDeepSeekCallsBegin = "<｜tool▁calls▁begin｜>";
inline constexpr std::string_view kDeepSeekCallBegin = "<｜tool▁call▁begin｜>";

// Qwen3-Coder "<function=NAME><parameter=K>V</parameter>...</function>" and
// GLM "NAME<arg_key>K</arg_key><arg_value>V</arg_value>..." call bodies at
// text[pos], inside a block that ends with `close` (tool_call_xml.cpp).
BlockResult ParseXmlFunctionBody(std::string_view text, size_t pos, const BlockContext& ctx,
                                 std::string_view close);
BlockResult ParseGlmBody(std::string_view text, size_t pos, const BlockContext& ctx,
                         std::string_view close);

// A parameter value written as bare text between tags (one framing newline
// on each side dropped): a string when the tool's schema says so, else JSON
// when it parses, else the text as a string.
Json XmlValueFromText(std::string_view raw, const BlockContext& ctx, std::string_view name,
                      std::string_view key);

// Appends the calls in `value`: one call object or a non-empty array of them
// (see CallFromJson). False when any item is not call-shaped.
bool CallsFromValue(const Json& value, std::vector<ToolCall>& calls);

// One call of a section, at text[pos] (its opening tag included). On
// kComplete, `end` is where the call ends and `calls` holds it.
using SectionCallParser = BlockResult (*)(std::string_view text, size_t pos,
                                          const BlockContext& ctx);

// A section of calls from text[pos]: each opens with `call_begin` and is read
// by `one`, whitespace between, the section ends with `section_end`. The end
// tag is forgiven once a call was read and something else follows (or the
// output ends): the calls are whole.
BlockResult ParseCallSection(std::string_view text, size_t pos, const BlockContext& ctx,
                             std::string_view call_begin, std::string_view section_end,
                             SectionCallParser one);

// Shared steps of the block parsers. "Need" is the answer when the text ran
// out: incomplete, or invalid when no more text will come.
inline BlockResult Need(const BlockContext& ctx) {
  return ctx.at_end ? BlockResult::Invalid() : BlockResult::Incomplete();
}

inline BlockResult Complete(size_t end, std::vector<ToolCall> calls) {
  return {Scan::kComplete, end, std::move(calls)};
}

inline size_t SkipSpace(std::string_view text, size_t pos) {
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  return pos;
}

inline bool IsNameByte(char c) { return IsFunctionName(std::string_view(&c, 1)); }

// Reads a function name at `pos` that must be followed by `stop`. Sets `name`
// and returns the position after `stop`; 0 with `status` otherwise.
inline size_t ReadNameUntil(std::string_view text, size_t pos, char stop, std::string& name,
                            Scan& status) {
  size_t q = pos;
  while (q < text.size() && IsNameByte(text[q])) ++q;
  if (q == text.size()) {
    status = Scan::kIncomplete;
    return 0;
  }
  if (text[q] != stop || q == pos) {
    status = Scan::kInvalid;
    return 0;
  }
  name = std::string(text.substr(pos, q - pos));
  return q + 1;
}

// After a call body: optional whitespace, then the closing tag. At the end of
// the output a missing or cut-off closing tag is forgiven: the call itself is
// whole, and models do stop right before the tag.
inline BlockResult CloseWith(std::string_view text, size_t pos, std::string_view close,
                             const BlockContext& ctx, std::vector<ToolCall> calls) {
  pos = SkipSpace(text, pos);
  switch (MatchAt(text, pos, close)) {
    case Match::kYes:
      return Complete(pos + close.size(), std::move(calls));
    case Match::kPartial:
      return ctx.at_end ? Complete(text.size(), std::move(calls)) : BlockResult::Incomplete();
    case Match::kNo:
      break;
  }
  return BlockResult::Invalid();
}

}  // namespace shimmy::chat::detail
