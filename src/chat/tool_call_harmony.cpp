// gpt-oss "harmony" output: a sequence of messages, each a header and a body,
//   <|channel|>analysis<|message|>thinking...<|end|>
//   <|start|>assistant<|channel|>commentary to=functions.get_weather
//   <|constrain|>json<|message|>{..}<|call|>
//   <|start|>assistant<|channel|>final<|message|>the answer<|return|>
// The prompt ends with "<|start|>assistant", so output opens on a header. The
// analysis channel is reasoning, a message with a recipient ("to=functions.X",
// in the header's role or channel part) is a call, anything else is content.
// Reasoning and content bodies stream; a call's body is held until it ends.
#include <array>

#include "chat/stream_text.h"
#include "chat/tool_call_impl.h"
#include "chat/tool_call_json.h"

namespace shimmy::chat {
namespace {

constexpr std::string_view kMessage = "<|message|>";
// Body terminators. "<|start|>" and "<|channel|>" open the next header and
// are left for it; the others are consumed.
constexpr std::array<std::string_view, 5> kBodyEnds = {"<|end|>", "<|call|>", "<|return|>",
                                                       "<|start|>", "<|channel|>"};
constexpr size_t kMaxEndLen = 11;    // longest terminator
constexpr size_t kMaxHeader = 1024;  // a longer "header" is not one

class HarmonyParser final : public ToolCallStreamParser::Impl {
 public:
  explicit HarmonyParser(const ToolCallOptions& options) : Impl(options) {}

  void Process(std::string_view chunk, bool at_end, OutputDelta& out) override {
    pending_.append(chunk);
    for (;;) {
      if (state_ == State::kHeader) {
        if (!ReadHeader(at_end)) return;
        continue;
      }
      if (!ReadBody(at_end, out)) return;
    }
  }

 private:
  enum class State { kHeader, kBody };
  enum class Kind { kReasoning, kContent, kCall };

  // A header so far must look like the start of one.
  static bool CouldBeHeader(std::string_view text) {
    text = detail::TrimLeft(text);
    if (text.size() > kMaxHeader) return false;
    for (std::string_view start : {"<|start|>", "<|channel|>", "to="}) {
      if (text.starts_with(start) || start.starts_with(text)) return true;
    }
    return false;
  }

  // Returns true when the state changed.
  bool ReadHeader(bool at_end) {
    const size_t m = pending_.find(kMessage);
    if (m == std::string::npos || !CouldBeHeader(std::string_view(pending_).substr(0, m))) {
      if (m == std::string::npos && !at_end && CouldBeHeader(pending_)) return false;
      // Not harmony at all (or broken): plain content, still split at tokens.
      Begin(Kind::kContent, "", "");
      return true;
    }
    const std::string header = pending_.substr(0, m);
    pending_.erase(0, m + kMessage.size());
    std::string recipient;
    if (size_t to = header.find("to="); to != std::string::npos) {
      size_t end = to + 3;
      while (end < header.size() && !detail::IsSpace(header[end]) && header[end] != '<') ++end;
      recipient = header.substr(to + 3, end - to - 3);
    }
    std::string channel;
    if (size_t c = header.find("<|channel|>"); c != std::string::npos) {
      size_t end = c + 11;
      while (end < header.size() && !detail::IsSpace(header[end]) && header[end] != '<') ++end;
      channel = header.substr(c + 11, end - c - 11);
    }
    Kind kind = Kind::kContent;
    if (!recipient.empty()) {
      kind = Kind::kCall;
      if (recipient.starts_with("functions.")) recipient.erase(0, 10);
    } else if (channel == "analysis") {
      kind = Kind::kReasoning;
    }
    Begin(kind, std::move(recipient), header + std::string(kMessage));
    return true;
  }

  void Begin(Kind kind, std::string recipient, std::string raw_header) {
    state_ = State::kBody;
    kind_ = kind;
    searched_ = 0;
    recipient_ = std::move(recipient);
    raw_header_ = std::move(raw_header);
  }

  // Returns true when the body ended (state back to header).
  bool ReadBody(bool at_end, OutputDelta& out) {
    size_t end = std::string::npos;
    std::string_view terminator;
    // A held call body is searched only where a terminator could newly be
    // (streamed bodies keep just a short held suffix: search it all).
    const size_t from = kind_ == Kind::kCall && searched_ > kMaxEndLen ? searched_ - kMaxEndLen : 0;
    searched_ = pending_.size();
    for (std::string_view t : kBodyEnds) {
      const size_t at = pending_.find(t, from);
      if (at < end) {
        end = at;
        terminator = t;
      }
    }
    if (end == std::string::npos && !at_end) {
      if (kind_ == Kind::kCall) return false;  // calls wait for their end
      size_t hold = detail::Utf8HoldBack(pending_);
      for (std::string_view t : kBodyEnds) {
        hold = std::max(hold, detail::PartialMarkerSuffix(pending_, t));
      }
      Emit(std::string_view(pending_).substr(0, pending_.size() - hold), out);
      pending_.erase(0, pending_.size() - hold);
      return false;
    }
    const size_t body_len = end == std::string::npos ? pending_.size() : end;
    const std::string_view body(pending_.data(), body_len);
    if (kind_ == Kind::kCall) {
      FinishCall(body, out);
    } else {
      Emit(body, out);
    }
    const bool keep = terminator == "<|start|>" || terminator == "<|channel|>";
    pending_.erase(0, body_len + (keep ? 0 : terminator.size()));
    state_ = State::kHeader;
    return !pending_.empty() || !at_end ? true : false;
  }

  void FinishCall(std::string_view body, OutputDelta& out) {
    const std::string_view trimmed = detail::Trim(body);
    std::optional<std::string> args;
    if (trimmed.empty()) {
      args = "{}";
    } else {
      detail::JsonScan js = detail::ScanJsonValue(trimmed, 0);
      if (js.status == detail::Scan::kComplete && js.end == trimmed.size()) {
        args = detail::NormalizeArguments(&js.value);
      }
    }
    if (!args || !detail::IsFunctionName(recipient_)) {
      // Never lose text: a call we cannot read goes out as content.
      out.content += raw_header_;
      out.content.append(body);
      return;
    }
    Release({ToolCall{"", recipient_, std::move(*args)}}, out);
  }

  void Emit(std::string_view text, OutputDelta& out) {
    (kind_ == Kind::kReasoning ? out.reasoning : out.content).append(text);
  }

  std::string pending_;
  State state_ = State::kHeader;
  Kind kind_ = Kind::kContent;
  std::string recipient_;
  std::string raw_header_;
  size_t searched_ = 0;  // body bytes already searched for a terminator
};

}  // namespace

std::unique_ptr<ToolCallStreamParser::Impl> MakeHarmonyParser(const ToolCallOptions& options) {
  return std::make_unique<HarmonyParser>(options);
}

}  // namespace shimmy::chat
