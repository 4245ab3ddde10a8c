// Model output -> OpenAI tool calls, incrementally.
//
//   chat::ToolCallOptions opt;
//   opt.format = chat::DetectToolCallFormat(template_source, "qwen2");
//   chat::ToolCallStreamParser parser(opt);
//   for (each decoded chunk) Send(parser.Feed(chunk));  // content / tool-call deltas
//   Send(parser.Finish());
//   const auto& calls = parser.tool_calls();            // the final list
//
// Every model family writes calls its own way (Hermes `<tool_call>{json}`,
// Mistral `[TOOL_CALLS]`, Llama 3 bare JSON, DeepSeek's full-width tokens,
// ...); the `ToolCallFormat` names the way, and DetectToolCallFormat picks it
// from the chat template source, since a template renders past calls in the
// very shape the model was trained to emit.
//
// Streaming contract:
//  - content deltas carry only text that is certainly not part of a call; the
//    parser holds back just the shortest suffix that could still begin a call
//    marker (e.g. "<tool" while "<tool_call>" is possible), plus an unfinished
//    UTF-8 sequence, so no delta ever splits a character.
//  - a call is released when it is complete and valid, as one ToolCallDelta
//    carrying index, id, name and the whole arguments text. Holding a call
//    until it closes means a call is never retracted: a call that turns out
//    malformed, or is still open at Finish() (e.g. max_tokens hit), goes back
//    into the content stream verbatim, so no output text is ever lost.
//  - whitespace at the start of the content stream and right after a call is
//    dropped (templates put newlines between calls; clients should not see
//    them).
//  - the result does not depend on how the text is chunked: any split gives the
//    same concatenated content, the same deltas' union and the same calls as
//    one Feed of the whole text (ParseToolCalls).
// Arguments are compact JSON object text (key order as the model wrote it);
// arguments given as a JSON string holding an object are unwrapped.
//
// Thread-safety: a parser is one stream's state; use it from one thread at a
// time. Distinct parsers are independent. Cost: Feed is O(chunk) outside a
// call. Inside one, JSON bodies resume scanning where the last Feed stopped
// (O(chunk)); tag-delimited bodies (Qwen3-Coder parameter values) are
// re-searched from the call start (O(open call) at memchr speed). 50 KB of
// JSON arguments fed 4 bytes at a time take ~15 ms in all.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/reasoning.h"

namespace shimmy::chat {

using Json = nlohmann::ordered_json;

struct ToolCall {
  std::string id;  // the model's own id if it wrote one, else "call_" + 24 alphanumerics
  std::string name;
  std::string arguments;  // compact JSON text of the arguments object
  bool operator==(const ToolCall&) const = default;
};

// One streamed piece of a call in OpenAI's shape. This parser emits each call
// as a single delta with all fields set; consumers should still treat
// `arguments` as a fragment to append (index identifies the call).
struct ToolCallDelta {
  int index = 0;          // 0-based position of the call in this response
  std::string id;         // set on the first delta of a call
  std::string name;       // set on the first delta of a call
  std::string arguments;  // fragment to append
  bool operator==(const ToolCallDelta&) const = default;
};

// What one Feed/Finish produced. Within one delta, fields keep no relative
// order (content before calls is the common case and what OpenAI sends).
struct OutputDelta {
  std::string reasoning;  // only gpt-oss (analysis channel) and ChatOutputParser
                          // fill this
  std::string content;
  std::vector<ToolCallDelta> tool_calls;
  bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
};

enum class ToolCallFormat {
  kNone,            // no tool parsing: everything is content
  kGeneric,         // whole output is {"name","arguments"}, an array of those, or
                    // {"tool_calls":[...]}
  kHermes,          // <tool_call>{"name":..,"arguments":..}</tool_call> (Qwen 2.5/3,
                    // Hermes, many)
  kQwen3Coder,      // <tool_call><function=NAME><parameter=K>V</parameter></function></tool_call>
  kLlama3,          // leading {"name":..,"parameters":..}; <|python_tag|>
  kMistral,         // [TOOL_CALLS][{..}] and [TOOL_CALLS]NAME[CALL_ID]id[ARGS]{..}
  kDeepSeek,        // <｜tool▁calls▁begin｜>... (R1/V3 and the V3.1 shape)
  kFunctionaryV31,  // <function=NAME>{..}</function>; <|python_tag|>code
  kFunctionaryV32,  // >>>NAME\n{..} (the prompt ends with ">>>"; "all" is
                    // content)
  kGptOss,          // harmony channels: analysis = reasoning, commentary to=functions.X
                    // = call
  // tool_call_formats_more.cpp and tool_call_pythonic.cpp:
  kSeedOss,       // <seed:tool_call><function=NAME><parameter=K>V</parameter>...
                  // </function></seed:tool_call> (ByteDance Seed-OSS)
  kKimiK2,        // <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX
                  // <|tool_call_argument_begin|>{..}<|tool_call_end|>...; the id is
                  // functions.NAME:IDX
  kDeepSeekDsml,  // <｜DSML｜function_calls> (V3.2) or <｜DSML｜tool_calls> (V4) holding
                  // <｜DSML｜invoke name=".."><｜DSML｜parameter name=".." string="true|false">
                  // V</｜DSML｜parameter></｜DSML｜invoke>
  kMiniMaxM2,     // <minimax:tool_call><invoke name=".."><parameter name="..">V</parameter>
                  // </invoke></minimax:tool_call>
  kCommandR,      // Action: ```json [{"tool_name":..,"parameters":..}]``` (Command R+);
                  // <|START_ACTION|>[..]<|END_ACTION|> (Command R7B, Command A)
  kFireFunction,  // functools[{"name":..,"arguments":..}, ..] (no closing marker)
  kLfm2,          // <|tool_call_start|>[name(k="v", n=1), ..]<|tool_call_end|> (Python
                  // call syntax)
  kApertus,       // <|tools_prefix|>[{"NAME": {args}}, ..]<|tools_suffix|>
  kGigaChat,      // <|function_call|>{"name":..,"arguments":..} (3.1); "function
                  // call<|role_sep|>\n{..}" (3)
  kToolCallsTag,  // <tool_calls>[{..}] or one {..} a line</tool_calls> (Apriel, MiniMax-M1)
  kNemotronV2,    // <TOOLCALL>[{"name":..,"arguments":..}]</TOOLCALL>
  kGemma4,        // <|tool_call>call:NAME{key:<|"|>text<|"|>,n:1}<tool_call|>
  kSolarOpen,     // <|tool_calls|><|tool_call:begin|>ID<|tool_call:name|>NAME
                  // <|tool_call:args|>{..}<|tool_call:end|>...<|calls|> (Upstage)
};

std::string_view ToolCallFormatName(ToolCallFormat format);

// Picks the format from the chat template source (may be empty) and, when the
// template says nothing, the GGUF architecture name (e.g. "gpt-oss"). Never
// fails: kGeneric when nothing matches. Cost: a few substring searches.
ToolCallFormat DetectToolCallFormat(std::string_view template_source,
                                    std::string_view architecture = {});

struct ToolCallOptions {
  ToolCallFormat format = ToolCallFormat::kGeneric;
  // OpenAI `tools` array (may be null). Used only where a format writes
  // argument values as bare text (Qwen3-Coder XML): a parameter the schema
  // declares "string" stays a string; others are read as JSON when they parse.
  Json tools = nullptr;
  // Seed for generated call ids; nullopt seeds from std::random_device.
  std::optional<uint64_t> id_seed;
};

class ToolCallStreamParser {
 public:
  explicit ToolCallStreamParser(ToolCallOptions options);
  ~ToolCallStreamParser();
  ToolCallStreamParser(ToolCallStreamParser&&) noexcept;
  ToolCallStreamParser& operator=(ToolCallStreamParser&&) noexcept;

  // Consumes the next piece of model output (any byte split is fine).
  OutputDelta Feed(std::string_view chunk);
  // Ends the stream: resolves held text and open calls (open or malformed
  // calls become content). Feed/Finish after Finish are no-ops.
  OutputDelta Finish();
  // Every call released so far, in index order; the final list after Finish.
  const std::vector<ToolCall>& tool_calls() const;

  class Impl;  // one per format family (the block engine or gpt-oss harmony)

 private:
  std::unique_ptr<Impl> impl_;
  bool finished_ = false;
};

// The whole of a (non-streamed) output at once.
struct ParsedOutput {
  std::string reasoning;
  std::string content;
  std::vector<ToolCall> tool_calls;
};

// One-shot tool-call parse: exactly one Feed(text) and Finish().
ParsedOutput ParseToolCalls(std::string_view text, const ToolCallOptions& options);

// Reasoning split first, then tool calls on the content stream. For gpt-oss
// the harmony channels carry both, so the reasoning tags are not used.
struct ChatOutputOptions {
  ToolCallOptions tool_calls;              // format kNone when the request has no tools
  std::optional<ReasoningTags> reasoning;  // nullopt: the model does not reason in tags
  bool starts_in_reasoning = false;        // the prompt already opened the reasoning tag
};

// Same contract as ToolCallStreamParser, plus reasoning deltas.
class ChatOutputParser {
 public:
  explicit ChatOutputParser(ChatOutputOptions options);
  OutputDelta Feed(std::string_view chunk);
  OutputDelta Finish();
  const std::vector<ToolCall>& tool_calls() const { return tools_.tool_calls(); }

 private:
  OutputDelta Route(ReasoningDelta split, bool finish);

  std::optional<ReasoningSplitter> reasoning_;
  ToolCallStreamParser tools_;
};

ParsedOutput ParseChatOutput(std::string_view text, const ChatOutputOptions& options);

}  // namespace shimmy::chat
