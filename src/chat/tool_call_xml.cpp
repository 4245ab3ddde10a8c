// Call bodies whose argument values are bare text between tags: Qwen3-Coder
// and GLM. A value is text, so whether "42" is a number or a string comes
// from the tool's JSON schema when the request gave one.
#include "chat/tool_call_formats.h"

namespace shimmy::chat::detail {
namespace {

// True when the schema of tools[name].parameters.properties[key] allows a
// string (its "type" is "string" or a list holding it).
bool SchemaSaysString(const Json* tools, std::string_view name, std::string_view key) {
  if (tools == nullptr || !tools->is_array()) return false;
  for (const Json& tool : *tools) {
    const Json& fn = tool.contains("function") ? tool["function"] : tool;
    if (!fn.is_object() || fn.value("name", "") != name) continue;
    const Json* type = nullptr;
    if (auto params = fn.find("parameters"); params != fn.end() && params->is_object()) {
      if (auto props = params->find("properties"); props != params->end() && props->is_object()) {
        if (auto prop = props->find(std::string(key)); prop != props->end() && prop->is_object()) {
          if (auto t = prop->find("type"); t != prop->end()) type = &*t;
        }
      }
    }
    if (type == nullptr) return false;
    if (type->is_string()) return *type == "string";
    if (type->is_array()) {
      for (const Json& t : *type) {
        if (t == "string") return true;
      }
    }
    return false;
  }
  return false;
}

// The text between `open` at text[p] and `close_tag`; sets `p` past it.
// kIncomplete/kInvalid when not (yet) there.
Scan Between(std::string_view text, size_t& p, std::string_view open, std::string_view close_tag,
             std::string_view& inner) {
  switch (MatchAt(text, p, open)) {
    case Match::kPartial:
      return Scan::kIncomplete;
    case Match::kNo:
      return Scan::kInvalid;
    case Match::kYes:
      break;
  }
  const size_t start = p + open.size();
  const size_t stop = text.find(close_tag, start);
  if (stop == std::string_view::npos) return Scan::kIncomplete;
  inner = text.substr(start, stop - start);
  p = stop + close_tag.size();
  return Scan::kComplete;
}

BlockResult FromScan(Scan s, const BlockContext& ctx) {
  return s == Scan::kInvalid ? BlockResult::Invalid() : Need(ctx);
}

}  // namespace

Json XmlValueFromText(std::string_view raw, const BlockContext& ctx, std::string_view name,
                      std::string_view key) {
  // Templates put each value on its own lines: strip exactly that framing.
  if (raw.starts_with('\n')) raw.remove_prefix(1);
  if (raw.ends_with('\n')) raw.remove_suffix(1);
  if (!SchemaSaysString(ctx.tools, name, key)) {
    Json value = Json::parse(raw.begin(), raw.end(), nullptr,
                             /*allow_exceptions=*/false);
    if (!value.is_discarded()) return value;
  }
  return Json(std::string(raw));
}

BlockResult ParseXmlFunctionBody(std::string_view text, size_t pos, const BlockContext& ctx,
                                 std::string_view close) {
  static constexpr std::string_view kOpen = "<function=";
  static constexpr std::string_view kParam = "<parameter=";
  static constexpr std::string_view kEndFunction = "</function>";
  static constexpr std::string_view kEndParam = "</parameter>";
  switch (MatchAt(text, pos, kOpen)) {
    case Match::kPartial:
      return Need(ctx);
    case Match::kNo:
      return BlockResult::Invalid();
    case Match::kYes:
      break;
  }
  ToolCall call;
  Scan status = Scan::kComplete;
  size_t p = ReadNameUntil(text, pos + kOpen.size(), '>', call.name, status);
  if (p == 0) return FromScan(status, ctx);
  Json args = Json::object();
  for (;;) {
    p = SkipSpace(text, p);
    const Match end_fn = MatchAt(text, p, kEndFunction);
    if (end_fn == Match::kYes) {
      call.arguments = DumpCompact(args);
      return CloseWith(text, p + kEndFunction.size(), close, ctx, {std::move(call)});
    }
    const Match param = MatchAt(text, p, kParam);
    if (end_fn == Match::kPartial || param == Match::kPartial) return Need(ctx);
    if (param == Match::kNo) return BlockResult::Invalid();
    std::string key;
    p = ReadNameUntil(text, p + kParam.size(), '>', key, status);
    if (p == 0) return FromScan(status, ctx);
    const size_t stop = text.find(kEndParam, p);
    if (stop == std::string_view::npos) return Need(ctx);
    args[key] = XmlValueFromText(text.substr(p, stop - p), ctx, call.name, key);
    p = stop + kEndParam.size();
  }
}

BlockResult ParseGlmBody(std::string_view text, size_t pos, const BlockContext& ctx,
                         std::string_view close) {
  // The name runs to the end of its line; GLM always breaks the line there,
  // which keeps "<tool_call>word</tool_call>" in prose from reading as a call.
  // Laguna S writes the first <arg_key> right after the name instead.
  ToolCall call;
  size_t p = pos;
  while (p < text.size() && IsNameByte(text[p])) ++p;
  if (p == text.size()) return Need(ctx);
  call.name = std::string(text.substr(pos, p - pos));
  if (call.name.empty()) return BlockResult::Invalid();
  if (text[p] != '\n') {
    const Match key = MatchAt(text, p, "<arg_key>");
    if (key == Match::kPartial) return Need(ctx);
    if (key == Match::kNo) return BlockResult::Invalid();
  }
  Json args = Json::object();
  for (;;) {
    p = SkipSpace(text, p);
    const Match end = MatchAt(text, p, close);
    if (end == Match::kYes || (end == Match::kPartial && ctx.at_end)) {
      call.arguments = DumpCompact(args);
      return CloseWith(text, p, close, ctx, {std::move(call)});
    }
    std::string_view key, value;
    Scan s = Between(text, p, "<arg_key>", "</arg_key>", key);
    if (s == Scan::kInvalid && end == Match::kPartial) return Need(ctx);
    if (s != Scan::kComplete) return FromScan(s, ctx);
    p = SkipSpace(text, p);
    s = Between(text, p, "<arg_value>", "</arg_value>", value);
    if (s != Scan::kComplete) return FromScan(s, ctx);
    args[std::string(Trim(key))] = XmlValueFromText(value, ctx, call.name, Trim(key));
  }
}

}  // namespace shimmy::chat::detail
