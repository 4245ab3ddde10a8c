// Block parsers for the formats beyond the common ones in
// tool_call_formats.cpp: Seed-OSS, Kimi K2, DeepSeek V3.2/V4 DSML, MiniMax M2,
// Command R, firefunction, Apertus, GigaChat, <tool_calls>, Nemotron
// <TOOLCALL> and Solar Open. Every parser keeps the contract in tool_call_formats.h
// (prefix-monotone); LFM2 and Gemma 4 live in tool_call_pythonic.cpp.
#include "chat/stream_text.h"
#include "chat/tool_call_formats.h"

namespace shimmy::chat::detail {

BlockResult ParseLfm2(std::string_view text, size_t marker_len, const BlockContext& ctx);
BlockResult ParseGemma4(std::string_view text, size_t marker_len, const BlockContext& ctx);

namespace {

// Skips `lit` at text[p] when it is there; false (with `r`) when the text
// ends inside it.
bool SkipOptional(std::string_view text, size_t& p, std::string_view lit, const BlockContext& ctx,
                  BlockResult& r) {
  switch (MatchAt(text, p, lit)) {
    case Match::kPartial:
      r = Need(ctx);
      return false;
    case Match::kYes:
      p += lit.size();
      break;
    case Match::kNo:
      break;
  }
  return true;
}

// The JSON value at text[p] (after whitespace); sets `js` when complete.
BlockResult ScanAt(std::string_view text, size_t p, const BlockContext& ctx, JsonScan& js) {
  p = SkipSpace(text, p);
  if (p == text.size()) return Need(ctx);
  js = ScanJsonValue(text, p, ctx.json_cache);
  if (js.status == Scan::kInvalid) return BlockResult::Invalid();
  if (js.status == Scan::kIncomplete) return Need(ctx);
  return Complete(js.end, {});
}

// --- Seed-OSS: <seed:tool_call>\n<function=NAME>...</function>\n</seed:tool_call>
BlockResult ParseSeed(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  const size_t p = SkipSpace(text, marker_len);
  if (p == text.size()) return Need(ctx);
  return ParseXmlFunctionBody(text, p, ctx, "</seed:tool_call>");
}

// --- Kimi K2 ------------------------------------------------------------------
constexpr std::string_view kKimiSection = "<|tool_calls_section_begin|>";
constexpr std::string_view kKimiSectionEnd = "<|tool_calls_section_end|>";
constexpr std::string_view kKimiCall = "<|tool_call_begin|>";
constexpr std::string_view kKimiArgs = "<|tool_call_argument_begin|>";

// <|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{..}<|tool_call_end|>
BlockResult KimiCall(std::string_view text, size_t pos, const BlockContext& ctx) {
  size_t p = SkipSpace(text, pos + kKimiCall.size());
  const size_t id_start = p;
  while (p < text.size() && IsNameByte(text[p])) ++p;
  if (p == text.size()) return Need(ctx);
  ToolCall call;
  call.id = std::string(text.substr(id_start, p - id_start));
  std::string_view name = call.id;
  if (name.starts_with("functions.")) name.remove_prefix(10);
  if (const size_t colon = name.rfind(':');
      colon != std::string_view::npos && colon + 1 < name.size() &&
      name.find_first_not_of("0123456789", colon + 1) == std::string_view::npos) {
    name = name.substr(0, colon);
  }
  if (!IsFunctionName(name)) return BlockResult::Invalid();
  call.name = std::string(name);
  p = SkipSpace(text, p);
  if (const Match m = MatchAt(text, p, kKimiArgs); m != Match::kYes) {
    return m == Match::kPartial ? Need(ctx) : BlockResult::Invalid();
  }
  JsonScan js;
  BlockResult r = ScanAt(text, p + kKimiArgs.size(), ctx, js);
  if (r.status != Scan::kComplete) return r;
  std::optional<std::string> args = NormalizeArguments(&js.value);
  if (!args) return BlockResult::Invalid();
  call.arguments = std::move(*args);
  return CloseWith(text, js.end, "<|tool_call_end|>", ctx, {std::move(call)});
}

BlockResult ParseKimi(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  // A block opened by a bare "call begin" is read from that marker itself.
  const size_t p = text.starts_with(kKimiSection) ? marker_len : 0;
  return ParseCallSection(text, p, ctx, kKimiCall, kKimiSectionEnd, KimiCall);
}

// --- Solar Open: <|tool_calls|><|tool_call:begin|>ID<|tool_call:name|>NAME
//     <|tool_call:args|>{..}<|tool_call:end|>...<|calls|>
constexpr std::string_view kSolarSection = "<|tool_calls|>";
constexpr std::string_view kSolarCall = "<|tool_call:begin|>";

BlockResult SolarCall(std::string_view text, size_t pos, const BlockContext& ctx) {
  static constexpr std::string_view kName = "<|tool_call:name|>";
  static constexpr std::string_view kArgs = "<|tool_call:args|>";
  ToolCall call;
  Scan status = Scan::kComplete;
  size_t p = pos + kSolarCall.size();
  const size_t name_tag = text.find(kName, p);
  if (name_tag == std::string_view::npos) {
    while (p < text.size() && IsNameByte(text[p])) ++p;
    return MatchAt(text, p, kName) == Match::kNo ? BlockResult::Invalid() : Need(ctx);
  }
  call.id = std::string(text.substr(p, name_tag - p));
  if (!IsFunctionName(call.id)) return BlockResult::Invalid();
  p = ReadNameUntil(text, name_tag + kName.size(), '<', call.name, status);
  if (p == 0) return status == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx);
  if (const Match m = MatchAt(text, p - 1, kArgs); m != Match::kYes) {
    return m == Match::kPartial ? Need(ctx) : BlockResult::Invalid();
  }
  JsonScan js;
  BlockResult r = ScanAt(text, p - 1 + kArgs.size(), ctx, js);
  if (r.status != Scan::kComplete) return r;
  std::optional<std::string> args = NormalizeArguments(&js.value);
  if (!args) return BlockResult::Invalid();
  call.arguments = std::move(*args);
  return CloseWith(text, js.end, "<|tool_call:end|>", ctx, {std::move(call)});
}

BlockResult ParseSolar(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  const size_t p = text.starts_with(kSolarSection) ? marker_len : 0;
  return ParseCallSection(text, p, ctx, kSolarCall, "<|calls|>", SolarCall);
}

// --- <invoke name=".."><parameter name="..">V</parameter></invoke> (MiniMax M2,
// and DeepSeek's DSML with every tag name prefixed by "｜DSML｜") -------------
struct InvokeTags {
  std::string_view invoke, end_invoke, param, end_param;
};
constexpr InvokeTags kMiniMaxTags{"<invoke name=\"", "</invoke>", "<parameter name=\"",
                                  "</parameter>"};
constexpr InvokeTags kDsmlTags{"<｜DSML｜invoke name=\"", "</｜DSML｜invoke>",
                               "<｜DSML｜parameter name=\"", "</｜DSML｜parameter>"};

// Reads an attribute value up to its closing quote; 0 when the text ends first
// (status kIncomplete) or it is empty or spans lines (kInvalid).
size_t ReadQuoted(std::string_view text, size_t p, std::string& value, Scan& status) {
  size_t q = p;
  while (q < text.size() && text[q] != '"' && text[q] != '\n' && text[q] != '<') ++q;
  if (q == text.size()) {
    status = Scan::kIncomplete;
    return 0;
  }
  if (text[q] != '"' || q == p) {
    status = Scan::kInvalid;
    return 0;
  }
  value = std::string(text.substr(p, q - p));
  return q + 1;
}

BlockResult InvokeCall(std::string_view text, size_t pos, const BlockContext& ctx,
                       const InvokeTags& tags) {
  ToolCall call;
  Scan status = Scan::kComplete;
  auto fail = [&] { return status == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx); };
  size_t p = ReadQuoted(text, pos + tags.invoke.size(), call.name, status);
  if (p == 0) return fail();
  if (!IsFunctionName(call.name)) return BlockResult::Invalid();
  if (p == text.size()) return Need(ctx);
  if (text[p++] != '>') return BlockResult::Invalid();
  Json args = Json::object();
  for (;;) {
    p = SkipSpace(text, p);
    const Match end = MatchAt(text, p, tags.end_invoke);
    if (end == Match::kYes) {
      call.arguments = DumpCompact(args);
      return Complete(p + tags.end_invoke.size(), {std::move(call)});
    }
    const Match param = MatchAt(text, p, tags.param);
    if (end == Match::kPartial || param == Match::kPartial) return Need(ctx);
    if (param == Match::kNo) return BlockResult::Invalid();
    std::string key, is_string;
    p = ReadQuoted(text, p + tags.param.size(), key, status);
    if (p == 0) return fail();
    // DSML says whether the value is a string: string="true|false".
    static constexpr std::string_view kStringAttr = " string=\"";
    if (const Match m = MatchAt(text, p, kStringAttr); m == Match::kPartial) {
      return Need(ctx);
    } else if (m == Match::kYes) {
      if ((p = ReadQuoted(text, p + kStringAttr.size(), is_string, status)) == 0) return fail();
      if (is_string != "true" && is_string != "false") return BlockResult::Invalid();
    }
    if (p == text.size()) return Need(ctx);
    if (text[p++] != '>') return BlockResult::Invalid();
    const size_t stop = text.find(tags.end_param, p);
    if (stop == std::string_view::npos) return Need(ctx);
    const std::string_view raw = text.substr(p, stop - p);
    Json value;
    if (is_string == "true") {
      value = std::string(raw);
    } else if (is_string == "false") {
      value = Json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
      if (value.is_discarded()) value = std::string(raw);
    } else {
      value = XmlValueFromText(raw, ctx, call.name, key);
    }
    args[key] = std::move(value);
    p = stop + tags.end_param.size();
  }
}

BlockResult MiniMaxInvoke(std::string_view text, size_t pos, const BlockContext& ctx) {
  return InvokeCall(text, pos, ctx, kMiniMaxTags);
}
BlockResult DsmlInvoke(std::string_view text, size_t pos, const BlockContext& ctx) {
  return InvokeCall(text, pos, ctx, kDsmlTags);
}

BlockResult ParseMiniMaxM2(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  return ParseCallSection(text, marker_len, ctx, kMiniMaxTags.invoke, "</minimax:tool_call>",
                          MiniMaxInvoke);
}

constexpr std::string_view kDsmlV32 = "<｜DSML｜function_calls>";
constexpr std::string_view kDsmlV4 = "<｜DSML｜tool_calls>";

BlockResult ParseDsml(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  const bool v4 = text.starts_with(kDsmlV4);
  return ParseCallSection(text, marker_len, ctx, kDsmlTags.invoke,
                          v4 ? "</｜DSML｜tool_calls>" : "</｜DSML｜function_calls>", DsmlInvoke);
}

// --- Command R: Action: ```json\n[{"tool_name":..,"parameters":{..}}]\n``` ------
// and R7B / Command A: <|START_ACTION|>[..]<|END_ACTION|>
bool CohereCalls(const Json& list, std::vector<ToolCall>& calls) {
  if (!list.is_array() || list.empty()) return false;
  for (const Json& item : list) {
    if (!item.is_object()) return false;
    auto name = item.find("tool_name");
    if (name == item.end() || !name->is_string() || !IsFunctionName(name->get<std::string>())) {
      return false;
    }
    auto params = item.find("parameters");
    std::optional<std::string> args = NormalizeArguments(params == item.end() ? nullptr : &*params);
    if (!args) return false;
    calls.push_back(ToolCall{"", name->get<std::string>(), std::move(*args)});
  }
  return true;
}

BlockResult ParseCohereAction(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  size_t p = SkipSpace(text, marker_len);
  BlockResult r;
  if (!SkipOptional(text, p, "```", ctx, r)) return r;
  if (!SkipOptional(text, p, "json", ctx, r)) return r;
  JsonScan js;
  if (r = ScanAt(text, p, ctx, js); r.status != Scan::kComplete) return r;
  std::vector<ToolCall> calls;
  if (!CohereCalls(js.value, calls)) return BlockResult::Invalid();
  p = SkipSpace(text, js.end);
  switch (MatchAt(text, p, "```")) {
    case Match::kYes:
      return Complete(p + 3, std::move(calls));
    case Match::kPartial:
      if (!ctx.at_end) return BlockResult::Incomplete();
      break;
    case Match::kNo:
      break;
  }
  return Complete(js.end, std::move(calls));
}

BlockResult ParseCohereStartAction(std::string_view text, size_t marker_len,
                                   const BlockContext& ctx) {
  JsonScan js;
  if (BlockResult r = ScanAt(text, marker_len, ctx, js); r.status != Scan::kComplete) return r;
  std::vector<ToolCall> calls;
  if (!CohereCalls(js.value, calls)) return BlockResult::Invalid();
  return CloseWith(text, js.end, "<|END_ACTION|>", ctx, std::move(calls));
}

// --- JSON calls after a marker, with an optional closing tag -------------------
// `close` empty: the block ends with the JSON. `array`: the value must be a
// list of calls.
BlockResult JsonCalls(std::string_view text, size_t marker_len, const BlockContext& ctx,
                      std::string_view close, bool array) {
  JsonScan js;
  if (BlockResult r = ScanAt(text, marker_len, ctx, js); r.status != Scan::kComplete) return r;
  std::vector<ToolCall> calls;
  if ((array && !js.value.is_array()) || !CallsFromValue(js.value, calls)) {
    return BlockResult::Invalid();
  }
  if (close.empty()) return Complete(js.end, std::move(calls));
  return CloseWith(text, js.end, close, ctx, std::move(calls));
}

// firefunction v2: " functools[{..}, ..]" with no closing marker.
BlockResult ParseFunctools(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  if (marker_len == text.size()) return Need(ctx);
  if (text[marker_len] != '[') return BlockResult::Invalid();
  return JsonCalls(text, marker_len, ctx, "", true);
}

// Nemotron Nano v2: <TOOLCALL>[..]</TOOLCALL>
BlockResult ParseNemotron(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  return JsonCalls(text, marker_len, ctx, "</TOOLCALL>", true);
}

// GigaChat: one {"name":..,"arguments":..} per message.
BlockResult ParseGigaChat(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  return JsonCalls(text, marker_len, ctx, "", false);
}

// Apertus: <|tools_prefix|>[{"NAME": {args}}, ..]<|tools_suffix|>
BlockResult ParseApertus(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  JsonScan js;
  if (BlockResult r = ScanAt(text, marker_len, ctx, js); r.status != Scan::kComplete) return r;
  if (!js.value.is_array() || js.value.empty()) return BlockResult::Invalid();
  std::vector<ToolCall> calls;
  for (const Json& item : js.value) {
    if (!item.is_object() || item.size() != 1) return BlockResult::Invalid();
    // Not `*item.items().begin()`: that proxy dies with the statement.
    const auto entry = item.begin();
    const std::string& name = entry.key();
    const Json& value = entry.value();
    std::optional<std::string> args = NormalizeArguments(&value);
    if (!IsFunctionName(name) || !args) return BlockResult::Invalid();
    calls.push_back(ToolCall{"", name, std::move(*args)});
  }
  return CloseWith(text, js.end, "<|tools_suffix|>", ctx, std::move(calls));
}

// Apriel, MiniMax-M1: <tool_calls>[{..}, ..]</tool_calls> or one {..} a line.
BlockResult ParseToolCallsTag(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  static constexpr std::string_view kClose = "</tool_calls>";
  std::vector<ToolCall> calls;
  for (size_t p = marker_len;;) {
    p = SkipSpace(text, p);
    if (p < text.size() && (text[p] == '{' || text[p] == '[')) {
      JsonScan js;
      if (BlockResult r = ScanAt(text, p, ctx, js); r.status != Scan::kComplete) return r;
      if (!CallsFromValue(js.value, calls)) return BlockResult::Invalid();
      p = js.end;
      continue;
    }
    if (calls.empty()) return p == text.size() ? Need(ctx) : BlockResult::Invalid();
    return CloseWith(text, p, kClose, ctx, std::move(calls));
  }
}

}  // namespace

const FormatSpec* MoreSpecFor(ToolCallFormat format) {
  static const FormatSpec kSeed{{{"<seed:tool_call>", ParseSeed}}, "", nullptr, false};
  static const FormatSpec kKimi{
      {{kKimiSection, ParseKimi}, {kKimiCall, ParseKimi}}, "", nullptr, false};
  static const FormatSpec kDsml{{{kDsmlV32, ParseDsml}, {kDsmlV4, ParseDsml}}, "", nullptr, false};
  static const FormatSpec kMiniMax{{{"<minimax:tool_call>", ParseMiniMaxM2}}, "", nullptr, false};
  static const FormatSpec kCohere{
      {{"Action:", ParseCohereAction}, {"<|START_ACTION|>", ParseCohereStartAction}},
      "",
      nullptr,
      false};
  static const FormatSpec kFunctools{{{"functools", ParseFunctools}}, "", nullptr, false};
  static const FormatSpec kLfm2{{{"<|tool_call_start|>", ParseLfm2}}, "", nullptr, false};
  static const FormatSpec kApertus{{{"<|tools_prefix|>", ParseApertus}}, "", nullptr, false};
  static const FormatSpec kGigaChat{
      {{"<|function_call|>", ParseGigaChat}, {"function call<|role_sep|>", ParseGigaChat}},
      "",
      nullptr,
      false};
  static const FormatSpec kToolCalls{{{"<tool_calls>", ParseToolCallsTag}}, "", nullptr, false};
  static const FormatSpec kNemotron{{{"<TOOLCALL>", ParseNemotron}}, "", nullptr, false};
  static const FormatSpec kGemma4{{{"<|tool_call>", ParseGemma4}}, "", nullptr, false};
  static const FormatSpec kSolar{
      {{kSolarSection, ParseSolar}, {kSolarCall, ParseSolar}}, "", nullptr, false};
  switch (format) {
    case ToolCallFormat::kSeedOss:
      return &kSeed;
    case ToolCallFormat::kKimiK2:
      return &kKimi;
    case ToolCallFormat::kDeepSeekDsml:
      return &kDsml;
    case ToolCallFormat::kMiniMaxM2:
      return &kMiniMax;
    case ToolCallFormat::kCommandR:
      return &kCohere;
    case ToolCallFormat::kFireFunction:
      return &kFunctools;
    case ToolCallFormat::kLfm2:
      return &kLfm2;
    case ToolCallFormat::kApertus:
      return &kApertus;
    case ToolCallFormat::kGigaChat:
      return &kGigaChat;
    case ToolCallFormat::kToolCallsTag:
      return &kToolCalls;
    case ToolCallFormat::kNemotronV2:
      return &kNemotron;
    case ToolCallFormat::kGemma4:
      return &kGemma4;
    case ToolCallFormat::kSolarOpen:
      return &kSolar;
    default:
      return nullptr;
  }
}

}  // namespace shimmy::chat::detail
