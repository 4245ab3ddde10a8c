#include "chat/tool_calls.h"

#include <algorithm>

#include "chat/stream_text.h"
#include "chat/tool_call_formats.h"
#include "chat/tool_call_impl.h"

namespace shimmy::chat {
namespace {

using detail::BlockParser;
using detail::BlockResult;
using detail::FormatSpec;
using detail::Scan;

// The engine for every marker-based format. Outside a call it scans for the
// format's markers and emits everything that cannot be the start of one.
// Inside a call it keeps the call's text from its marker on and asks the
// format's block parser about the whole of it on each Feed: complete ->
// release the calls; invalid -> the marker was ordinary text, emit it and scan
// on after it; incomplete -> wait for more.
class BlockEngine final : public ToolCallStreamParser::Impl {
 public:
  explicit BlockEngine(const ToolCallOptions& options)
      : Impl(options), spec_(detail::SpecFor(options.format)), tools_(options.tools) {
    if (spec_.starts_in_block && !spec_.markers.empty()) {
      EnterBlock(0, spec_.markers.front().parse);
      start_checked_ = true;
    }
  }

  void Process(std::string_view chunk, bool at_end, OutputDelta& out) override {
    pending_.append(chunk);
    for (;;) {
      if (skip_space_) {
        const size_t n = detail::TrimLeft(pending_).size();
        pending_.erase(0, pending_.size() - n);
        if (pending_.empty()) return;
        skip_space_ = false;
      }
      if (!in_block_ && !start_checked_) {
        start_checked_ = true;
        if (spec_.start_parse != nullptr &&
            spec_.start_bytes.find(pending_.front()) != std::string_view::npos) {
          EnterBlock(0, spec_.start_parse);
        }
      }
      if (!in_block_) {
        if (!FindMarker(at_end, out)) return;
        continue;
      }
      BlockResult r =
          parse_(pending_, marker_len_, detail::BlockContext{&tools_, at_end, &json_cache_});
      if (r.status == Scan::kIncomplete && !at_end) return;
      in_block_ = false;
      if (r.status == Scan::kComplete) {
        Release(std::move(r.calls), out);
        pending_.erase(0, r.end);
        skip_space_ = true;
      } else {
        // Not a call after all: the marker is plain text, and the scan goes
        // on right after it (a real call may still follow).
        out.content.append(pending_, 0, marker_len_);
        pending_.erase(0, marker_len_);
      }
    }
  }

 private:
  void EnterBlock(size_t marker_len, BlockParser parse) {
    in_block_ = true;
    json_cache_.at.clear();  // positions are relative to the block start
    marker_len_ = marker_len;
    parse_ = parse;
  }

  // Emits content up to the first marker and enters its block (true), or
  // emits all but a possible marker prefix (false).
  bool FindMarker(bool at_end, OutputDelta& out) {
    size_t best = std::string::npos;
    const detail::Marker* found = nullptr;
    for (const detail::Marker& m : spec_.markers) {
      const size_t at = pending_.find(m.text);
      if (at < best || (at == best && found != nullptr && m.text.size() > found->text.size())) {
        best = at;
        found = &m;
      }
    }
    if (found != nullptr) {
      out.content.append(pending_, 0, best);
      pending_.erase(0, best);
      EnterBlock(found->text.size(), found->parse);
      return true;
    }
    size_t hold = 0;
    if (!at_end) {
      for (const detail::Marker& m : spec_.markers) {
        hold = std::max(hold, detail::PartialMarkerSuffix(pending_, m.text));
      }
      hold = std::max(hold, detail::Utf8HoldBack(pending_));
    }
    out.content.append(pending_, 0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return false;
  }

  const FormatSpec& spec_;
  Json tools_;
  std::string pending_;  // undecided text: a held suffix, or the open block
  bool in_block_ = false;
  size_t marker_len_ = 0;
  BlockParser parse_ = nullptr;
  detail::ScanCache json_cache_;  // the open block's JSON scan progress
  bool start_checked_ = false;    // the marker-less start rule applies once
  bool skip_space_ = true;
};

}  // namespace

// --- Impl
// ---------------------------------------------------------------------

ToolCallStreamParser::Impl::Impl(const ToolCallOptions& options)
    : rng_(options.id_seed ? *options.id_seed : std::random_device{}()) {}

std::string ToolCallStreamParser::Impl::NewId() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng_() % kAlphabet.size()];
  return id;
}

void ToolCallStreamParser::Impl::Release(std::vector<ToolCall> new_calls, OutputDelta& out) {
  for (ToolCall& call : new_calls) {
    if (call.id.empty()) call.id = NewId();
    const int index = static_cast<int>(calls_.size());
    out.tool_calls.push_back(ToolCallDelta{index, call.id, call.name, call.arguments});
    calls_.push_back(std::move(call));
  }
}

// --- ToolCallStreamParser
// -------------------------------------------------------

ToolCallStreamParser::ToolCallStreamParser(ToolCallOptions options) {
  if (options.format == ToolCallFormat::kGptOss) {
    impl_ = MakeHarmonyParser(options);
  } else {
    impl_ = std::make_unique<BlockEngine>(options);
  }
}

ToolCallStreamParser::~ToolCallStreamParser() = default;
ToolCallStreamParser::ToolCallStreamParser(ToolCallStreamParser&&) noexcept = default;
ToolCallStreamParser& ToolCallStreamParser::operator=(ToolCallStreamParser&&) noexcept = default;

OutputDelta ToolCallStreamParser::Feed(std::string_view chunk) {
  OutputDelta out;
  if (!finished_) impl_->Process(chunk, /*at_end=*/false, out);
  return out;
}

OutputDelta ToolCallStreamParser::Finish() {
  OutputDelta out;
  if (!finished_) impl_->Process({}, /*at_end=*/true, out);
  finished_ = true;
  return out;
}

const std::vector<ToolCall>& ToolCallStreamParser::tool_calls() const { return impl_->calls(); }

namespace {
void Append(OutputDelta& to, OutputDelta from) {
  to.reasoning += from.reasoning;
  to.content += from.content;
  for (ToolCallDelta& d : from.tool_calls) to.tool_calls.push_back(std::move(d));
}
}  // namespace

ParsedOutput ParseToolCalls(std::string_view text, const ToolCallOptions& options) {
  ToolCallStreamParser parser(options);
  OutputDelta all = parser.Feed(text);
  Append(all, parser.Finish());
  return ParsedOutput{std::move(all.reasoning), std::move(all.content), parser.tool_calls()};
}

// --- ChatOutputParser
// ---------------------------------------------------------

ChatOutputParser::ChatOutputParser(ChatOutputOptions options) : tools_(options.tool_calls) {
  // gpt-oss marks reasoning with channels, which its own parser reads.
  if (options.reasoning && options.tool_calls.format != ToolCallFormat::kGptOss) {
    reasoning_.emplace(std::move(*options.reasoning), options.starts_in_reasoning);
  }
}

OutputDelta ChatOutputParser::Feed(std::string_view chunk) {
  if (!reasoning_) return tools_.Feed(chunk);
  return Route(reasoning_->Feed(chunk), /*finish=*/false);
}

OutputDelta ChatOutputParser::Finish() {
  if (!reasoning_) return tools_.Finish();
  return Route(reasoning_->Finish(), /*finish=*/true);
}

OutputDelta ChatOutputParser::Route(ReasoningDelta split, bool finish) {
  OutputDelta out;
  out.reasoning = std::move(split.reasoning);
  Append(out, tools_.Feed(split.content));
  if (finish) Append(out, tools_.Finish());
  return out;
}

ParsedOutput ParseChatOutput(std::string_view text, const ChatOutputOptions& options) {
  ChatOutputParser parser(options);
  OutputDelta all = parser.Feed(text);
  Append(all, parser.Finish());
  return ParsedOutput{std::move(all.reasoning), std::move(all.content), parser.tool_calls()};
}

// --- Format names and detection ----------------------------------------------

std::string_view ToolCallFormatName(ToolCallFormat format) {
  switch (format) {
    case ToolCallFormat::kNone:
      return "none";
    case ToolCallFormat::kGeneric:
      return "generic";
    case ToolCallFormat::kHermes:
      return "hermes";
    case ToolCallFormat::kQwen3Coder:
      return "qwen3-coder";
    case ToolCallFormat::kLlama3:
      return "llama3";
    case ToolCallFormat::kMistral:
      return "mistral";
    case ToolCallFormat::kDeepSeek:
      return "deepseek";
    case ToolCallFormat::kFunctionaryV31:
      return "functionary-v3.1";
    case ToolCallFormat::kFunctionaryV32:
      return "functionary-v3.2";
    case ToolCallFormat::kGptOss:
      return "gpt-oss";
    case ToolCallFormat::kSeedOss:
      return "seed-oss";
    case ToolCallFormat::kKimiK2:
      return "kimi-k2";
    case ToolCallFormat::kDeepSeekDsml:
      return "deepseek-dsml";
    case ToolCallFormat::kMiniMaxM2:
      return "minimax-m2";
    case ToolCallFormat::kCommandR:
      return "command-r";
    case ToolCallFormat::kFireFunction:
      return "firefunction";
    case ToolCallFormat::kLfm2:
      return "lfm2";
    case ToolCallFormat::kApertus:
      return "apertus";
    case ToolCallFormat::kGigaChat:
      return "gigachat";
    case ToolCallFormat::kToolCallsTag:
      return "tool-calls-tag";
    case ToolCallFormat::kNemotronV2:
      return "nemotron-v2";
    case ToolCallFormat::kGemma4:
      return "gemma4";
    case ToolCallFormat::kSolarOpen:
      return "solar-open";
  }
  return "unknown";
}

ToolCallFormat DetectToolCallFormat(std::string_view template_source,
                                    std::string_view architecture) {
  auto has = [&](std::string_view s) { return template_source.find(s) != std::string_view::npos; };
  // Most specific first: Qwen3-Coder's template also shows "<tool_call>", and
  // functionary v3.1's also shows "<|python_tag|>".
  if (has("<|channel|>") && (has("to=functions") || has("<|call|>")))
    return ToolCallFormat::kGptOss;
  if (has("｜DSML｜")) return ToolCallFormat::kDeepSeekDsml;
  if (has("tool▁calls▁begin") || has("tool▁call▁begin")) return ToolCallFormat::kDeepSeek;
  if (has("[TOOL_CALLS]")) return ToolCallFormat::kMistral;
  if (has("<|tool_calls_section_begin|>")) return ToolCallFormat::kKimiK2;
  // MiniMax M3 writes "]<]minimax[>[<tool_call>" with XML-expanded values, a
  // shape no parser here reads: the generic rule, not Hermes.
  if (has("]<]minimax[>[")) return ToolCallFormat::kGeneric;
  if (has("<minimax:tool_call>")) return ToolCallFormat::kMiniMaxM2;
  if (has("<seed:tool_call>")) return ToolCallFormat::kSeedOss;
  if (has("<|START_ACTION|>") || (has("Action:") && has("\"tool_name\""))) {
    return ToolCallFormat::kCommandR;
  }
  if (has("functools[")) return ToolCallFormat::kFireFunction;
  if (has("<|tool_call_start|>") || has("<|tool_list_start|>") || has("List of tools: [")) {
    return ToolCallFormat::kLfm2;
  }
  if (has("<|tools_prefix|>")) return ToolCallFormat::kApertus;
  if (has("<|role_sep|>") && (has("<|function_call|>") || has("function call"))) {
    return ToolCallFormat::kGigaChat;
  }
  if (has("<|tool_call>call:")) return ToolCallFormat::kGemma4;
  if (has("<|tool_call:begin|>")) return ToolCallFormat::kSolarOpen;
  if (has("<TOOLCALL>")) return ToolCallFormat::kNemotronV2;
  // Apriel 1.5's prose names "<tool_call>" tags, but it renders "<tool_calls>[".
  if (has("<tool_calls>[") || (has("<tool_calls>") && !has("<tool_call>"))) {
    return ToolCallFormat::kToolCallsTag;
  }
  if (has("<function=") && has("<parameter=")) return ToolCallFormat::kQwen3Coder;
  if (has(">>>all") || (has(">>>") && has("recipient"))) return ToolCallFormat::kFunctionaryV32;
  if (has("<function=")) return ToolCallFormat::kFunctionaryV31;
  if (has("<tool_call>")) return ToolCallFormat::kHermes;
  if (has("<|python_tag|>") || (has("<|start_header_id|>") && has("\"parameters\""))) {
    return ToolCallFormat::kLlama3;
  }
  if (template_source.empty()) {
    // No template to read: the architecture's usual format, where it has one.
    if (architecture == "gpt-oss") return ToolCallFormat::kGptOss;
    if (architecture.starts_with("qwen")) return ToolCallFormat::kHermes;
  }
  return ToolCallFormat::kGeneric;
}

}  // namespace shimmy::chat
