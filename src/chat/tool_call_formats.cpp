// Block parsers for the JSON-bodied tool-call formats. See
// tool_call_formats.h for the contract every parser keeps (prefix-monotone).
#include "chat/tool_call_formats.h"

#include "chat/stream_text.h"

namespace shimmy::chat::detail {

bool CallsFromValue(const Json& value, std::vector<ToolCall>& calls) {
  if (value.is_array()) {
    if (value.empty()) return false;
    for (const Json& item : value) {
      if (!CallsFromValue(item, calls) || item.is_array()) return false;
    }
    return true;
  }
  std::optional<ToolCall> call = CallFromJson(value);
  if (!call) return false;
  calls.push_back(std::move(*call));
  return true;
}

BlockResult ParseCallSection(std::string_view text, size_t pos, const BlockContext& ctx,
                             std::string_view call_begin, std::string_view section_end,
                             SectionCallParser one) {
  std::vector<ToolCall> calls;
  for (size_t p = pos;;) {
    p = SkipSpace(text, p);
    const Match close = MatchAt(text, p, section_end);
    const Match begin = MatchAt(text, p, call_begin);
    if (close == Match::kYes) {
      return calls.empty() ? BlockResult::Invalid()
                           : Complete(p + section_end.size(), std::move(calls));
    }
    const bool more_possible = close == Match::kPartial || begin == Match::kPartial;
    if (begin != Match::kYes) {
      if (calls.empty()) return more_possible ? Need(ctx) : BlockResult::Invalid();
      if (more_possible && !ctx.at_end) return BlockResult::Incomplete();
      return Complete(p, std::move(calls));
    }
    BlockResult r = one(text, p, ctx);
    if (r.status != Scan::kComplete) return r;
    for (ToolCall& c : r.calls) calls.push_back(std::move(c));
    p = r.end;
  }
}

namespace {

// A JSON object of arguments at `pos` for the call `name`; sets `end`.
BlockResult ArgsCall(std::string_view text, size_t pos, std::string name, const BlockContext& ctx,
                     ToolCall& call, size_t& end) {
  JsonScan js = ScanJsonValue(text, SkipSpace(text, pos), ctx.json_cache);
  if (js.status == Scan::kInvalid) return BlockResult::Invalid();
  if (js.status == Scan::kIncomplete) return Need(ctx);
  std::optional<std::string> args = NormalizeArguments(&js.value);
  if (!args) return BlockResult::Invalid();
  call.name = std::move(name);
  call.arguments = std::move(*args);
  end = js.end;
  return Complete(js.end, {});
}

// --- Hermes / Qwen: <tool_call>{"name":..,"arguments":..}</tool_call> --------
BlockResult ParseHermes(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  static constexpr std::string_view kClose = "</tool_call>";
  const size_t p = SkipSpace(text, marker_len);
  if (p == text.size()) return Need(ctx);
  if (text[p] == '<') return ParseXmlFunctionBody(text, p, ctx, kClose);
  if (text[p] != '{' && text[p] != '[') return ParseGlmBody(text, p, ctx, kClose);
  JsonScan js = ScanJsonValue(text, p, ctx.json_cache);
  if (js.status == Scan::kInvalid) return BlockResult::Invalid();
  if (js.status == Scan::kIncomplete) return Need(ctx);
  std::vector<ToolCall> calls;
  if (!CallsFromValue(js.value, calls)) return BlockResult::Invalid();
  return CloseWith(text, js.end, kClose, ctx, std::move(calls));
}

// --- Llama 3: leading {"name":..,"parameters":..}, maybe several ------------
BlockResult ParseLlama3Start(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  std::vector<ToolCall> calls;
  size_t p = marker_len;
  size_t last_end = 0;
  for (;;) {
    JsonScan js = ScanJsonValue(text, p, ctx.json_cache);
    if (js.status == Scan::kInvalid) return BlockResult::Invalid();
    if (js.status == Scan::kIncomplete) return Need(ctx);
    std::optional<ToolCall> call = CallFromJson(js.value);
    if (!call) return BlockResult::Invalid();
    calls.push_back(std::move(*call));
    last_end = js.end;
    // Llama 3.2 separates parallel calls with ';'. Whatever follows decides
    // whether another call comes, so the block stays open until then.
    p = last_end;
    while (p < text.size() && (IsSpace(text[p]) || text[p] == ';')) ++p;
    if (p == text.size()) {
      return ctx.at_end ? Complete(last_end, std::move(calls)) : BlockResult::Incomplete();
    }
    if (text[p] != '{') return Complete(last_end, std::move(calls));
  }
}

// name.call(key="value", n=3): Llama 3.1's built-in tools.
std::optional<ToolCall> BuiltinCall(std::string_view code) {
  const size_t dot = code.find(".call(");
  if (dot == std::string_view::npos || !IsFunctionName(code.substr(0, dot)) ||
      !code.ends_with(")")) {
    return std::nullopt;
  }
  Json args = Json::object();
  std::string_view rest = code.substr(dot + 6, code.size() - dot - 7);
  while (!(rest = TrimLeft(rest)).empty()) {
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string key(Trim(rest.substr(0, eq)));
    if (!IsFunctionName(key)) return std::nullopt;
    rest = TrimLeft(rest.substr(eq + 1));
    size_t end = 0;
    if (!rest.empty() && rest[0] == '"') {
      std::string value;
      for (end = 1; end < rest.size() && rest[end] != '"'; ++end) {
        if (rest[end] == '\\' && end + 1 < rest.size()) ++end;
        value += rest[end];
      }
      if (end == rest.size()) return std::nullopt;
      args[key] = value;
      ++end;
    } else {
      end = std::min(rest.find(','), rest.size());
      const std::string raw(Trim(rest.substr(0, end)));
      Json v = Json::parse(raw, nullptr, false);
      args[key] = v.is_discarded() ? Json(raw) : v;
    }
    rest = TrimLeft(rest.substr(end));
    if (!rest.empty() && rest[0] != ',') return std::nullopt;
    if (!rest.empty()) rest.remove_prefix(1);
  }
  return ToolCall{"", std::string(code.substr(0, dot)), DumpCompact(args)};
}

// <|python_tag|> runs to the end of the output: a JSON call, a built-in
// name.call(...), or Python code for the code interpreter.
BlockResult ParsePythonTag(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  if (!ctx.at_end) return BlockResult::Incomplete();
  const std::string_view body = Trim(text.substr(marker_len));
  if (body.empty()) return BlockResult::Invalid();
  std::vector<ToolCall> calls;
  if (body.front() == '{') {
    JsonScan js = ScanJsonValue(body, 0);
    if (js.status == Scan::kComplete && Trim(body.substr(js.end)).empty() &&
        CallsFromValue(js.value, calls)) {
      return Complete(text.size(), std::move(calls));
    }
  }
  if (std::optional<ToolCall> builtin = BuiltinCall(body)) {
    return Complete(text.size(), {std::move(*builtin)});
  }
  Json args = {{"code", std::string(body)}};
  return Complete(text.size(), {ToolCall{"", "python", DumpCompact(args)}});
}

// --- Functionary v3.1: <function=NAME>{json}</function> ----------------------
BlockResult ParseFunctionTag(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  std::string name;
  Scan status = Scan::kComplete;
  const size_t p = ReadNameUntil(text, marker_len, '>', name, status);
  if (p == 0) return status == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx);
  ToolCall call;
  size_t end = 0;
  BlockResult args = ArgsCall(text, p, std::move(name), ctx, call, end);
  if (args.status != Scan::kComplete) return args;
  return CloseWith(text, end, "</function>", ctx, {std::move(call)});
}

// --- Functionary v3.2: >>>NAME\n{json} ; >>>all\ncontent --------------------
BlockResult ParseFunctionaryV32(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  std::string name;
  Scan status = Scan::kComplete;
  const size_t p = ReadNameUntil(text, marker_len, '\n', name, status);
  if (p == 0) return status == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx);
  if (name == "all") return Complete(p, {});  // what follows is content
  if (name == "python") {
    // Raw code up to the next recipient or the end of the output.
    const size_t next = text.find(">>>", p);
    if (next == std::string_view::npos && !ctx.at_end) return BlockResult::Incomplete();
    const size_t end = next == std::string_view::npos ? text.size() : next;
    Json args = {{"code", std::string(Trim(text.substr(p, end - p)))}};
    return Complete(end, {ToolCall{"", "python", DumpCompact(args)}});
  }
  ToolCall call;
  size_t end = 0;
  BlockResult args = ArgsCall(text, p, std::move(name), ctx, call, end);
  if (args.status != Scan::kComplete) return args;
  return Complete(end, {std::move(call)});
}

// --- Mistral: [TOOL_CALLS][{..},..]  or  [TOOL_CALLS]NAME[CALL_ID]id[ARGS]{..}
BlockResult ParseMistral(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  size_t p = SkipSpace(text, marker_len);
  if (p == text.size()) return Need(ctx);
  std::vector<ToolCall> calls;
  if (text[p] == '[') {
    JsonScan js = ScanJsonValue(text, p, ctx.json_cache);
    if (js.status == Scan::kInvalid) return BlockResult::Invalid();
    if (js.status == Scan::kIncomplete) return Need(ctx);
    if (!js.value.is_array() || !CallsFromValue(js.value, calls)) return BlockResult::Invalid();
    return Complete(js.end, std::move(calls));
  }
  std::string name;
  Scan status = Scan::kComplete;
  p = ReadNameUntil(text, p, '[', name, status);
  if (p == 0) return status == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx);
  --p;  // back onto the '['
  ToolCall call;
  if (Match m = MatchAt(text, p, "[CALL_ID]"); m != Match::kNo) {
    if (m == Match::kPartial) return Need(ctx);
    p += 9;
    const size_t q = text.find('[', p);
    if (q == std::string_view::npos) return Need(ctx);
    call.id = std::string(text.substr(p, q - p));
    if (!IsFunctionName(call.id)) return BlockResult::Invalid();
    p = q;
  }
  switch (MatchAt(text, p, "[ARGS]")) {
    case Match::kPartial:
      return Need(ctx);
    case Match::kNo:
      return BlockResult::Invalid();
    case Match::kYes:
      break;
  }
  size_t end = 0;
  BlockResult args = ArgsCall(text, p + 6, std::move(name), ctx, call, end);
  if (args.status != Scan::kComplete) return args;
  return Complete(end, {std::move(call)});
}

// --- DeepSeek R1/V3:
// <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n
//     ```json\n{..}\n```<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>
//     V3.1 writes <｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{..} instead. Distills
//     sometimes skip the outer "calls begin": a bare "call begin" opens a
//     block.
constexpr std::string_view kCallsEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kSep = "<｜tool▁sep｜>";

// One call from just after "call begin"; on success `end` is past "call end".
BlockResult DeepSeekCall(std::string_view text, size_t p, const BlockContext& ctx, ToolCall& call,
                         size_t& end) {
  const size_t sep = text.find(kSep, p);
  if (sep == std::string_view::npos) {
    size_t q = p;
    while (q < text.size() && IsNameByte(text[q])) ++q;
    return MatchAt(text, q, kSep) == Match::kNo ? BlockResult::Invalid() : Need(ctx);
  }
  std::string name(text.substr(p, sep - p));
  if (!IsFunctionName(name)) return BlockResult::Invalid();
  size_t q = sep + kSep.size();
  if (q == text.size()) return Need(ctx);
  if (text[q] != '{') {  // R1/V3: what preceded the separator was the type
    Scan status = Scan::kComplete;
    q = ReadNameUntil(text, q, '\n', name, status);
    if (q == 0) return status == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx);
    for (std::string_view fence : {std::string_view("```"), std::string_view("json")}) {
      const Match m = MatchAt(text, q, fence);
      if (m == Match::kPartial) return Need(ctx);
      if (m == Match::kYes) q += fence.size();
    }
  }
  size_t args_end = 0;
  BlockResult args = ArgsCall(text, q, std::move(name), ctx, call, args_end);
  if (args.status != Scan::kComplete) return args;
  q = SkipSpace(text, args_end);
  if (Match m = MatchAt(text, q, "```"); m != Match::kNo) {
    if (m == Match::kPartial) return Need(ctx);
    q = SkipSpace(text, q + 3);
  }
  BlockResult closed = CloseWith(text, q, kCallEnd, ctx, {});
  end = closed.end;
  return closed;
}

BlockResult ParseDeepSeek(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  // A block opened by a bare "call begin" is parsed from that marker itself.
  size_t p = text.starts_with(kDeepSeekCallsBegin) ? marker_len : 0;
  std::vector<ToolCall> calls;
  for (;;) {
    p = SkipSpace(text, p);
    const Match close = MatchAt(text, p, kCallsEnd);
    const Match begin = MatchAt(text, p, kDeepSeekCallBegin);
    if (close == Match::kYes) {
      return calls.empty() ? BlockResult::Invalid()
                           : Complete(p + kCallsEnd.size(), std::move(calls));
    }
    // The section's end tag is forgiven once there is a call: the calls are
    // whole, and what follows is the model's business.
    const bool more_possible = close == Match::kPartial || begin == Match::kPartial;
    if (begin != Match::kYes) {
      if (calls.empty()) return more_possible ? Need(ctx) : BlockResult::Invalid();
      if (more_possible && !ctx.at_end) return BlockResult::Incomplete();
      return Complete(p, std::move(calls));
    }
    ToolCall call;
    size_t end = 0;
    BlockResult one = DeepSeekCall(text, p + kDeepSeekCallBegin.size(), ctx, call, end);
    if (one.status != Scan::kComplete) return one;
    calls.push_back(std::move(call));
    p = end;
  }
}

// --- Generic: the whole output is a call, an array of calls, or
// {"tool_calls":[..]}
BlockResult ParseGenericStart(std::string_view text, size_t marker_len, const BlockContext& ctx) {
  JsonScan js = ScanJsonValue(text, marker_len, ctx.json_cache);
  if (js.status == Scan::kInvalid) return BlockResult::Invalid();
  if (js.status == Scan::kIncomplete) return Need(ctx);
  std::vector<ToolCall> calls;
  const Json* list = &js.value;
  if (js.value.is_object()) {
    if (auto it = js.value.find("tool_calls"); it != js.value.end()) list = &*it;
    if (auto it = js.value.find("tool_call"); it != js.value.end()) list = &*it;
  }
  if (!CallsFromValue(*list, calls) || !Trim(text.substr(js.end)).empty()) {
    return BlockResult::Invalid();
  }
  // Only the whole output counts, so the end of the output decides.
  return ctx.at_end ? Complete(text.size(), std::move(calls)) : BlockResult::Incomplete();
}

}  // namespace

const FormatSpec& SpecFor(ToolCallFormat format) {
  static const FormatSpec kNone{};
  static const FormatSpec kGeneric{{}, "{[", ParseGenericStart, false};
  static const FormatSpec kHermes{{{"<tool_call>", ParseHermes}}, "", nullptr, false};
  static const FormatSpec kLlama3{
      {{"<|python_tag|>", ParsePythonTag}}, "{", ParseLlama3Start, false};
  static const FormatSpec kMistral{{{"[TOOL_CALLS]", ParseMistral}}, "", nullptr, false};
  static const FormatSpec kDeepSeek{
      {{kDeepSeekCallsBegin, ParseDeepSeek}, {kDeepSeekCallBegin, ParseDeepSeek}},
      "",
      nullptr,
      false};
  static const FormatSpec kFunctionaryV31{
      {{"<function=", ParseFunctionTag}, {"<|python_tag|>", ParsePythonTag}}, "", nullptr, false};
  static const FormatSpec kFunctionaryV32{{{">>>", ParseFunctionaryV32}}, "", nullptr, true};
  switch (format) {
    case ToolCallFormat::kGeneric:
      return kGeneric;
    case ToolCallFormat::kHermes:
    case ToolCallFormat::kQwen3Coder:
      return kHermes;
    case ToolCallFormat::kLlama3:
      return kLlama3;
    case ToolCallFormat::kMistral:
      return kMistral;
    case ToolCallFormat::kDeepSeek:
      return kDeepSeek;
    case ToolCallFormat::kFunctionaryV31:
      return kFunctionaryV31;
    case ToolCallFormat::kFunctionaryV32:
      return kFunctionaryV32;
    default:
      break;
  }
  const FormatSpec* more = MoreSpecFor(format);
  return more != nullptr ? *more : kNone;
}

}  // namespace shimmy::chat::detail
