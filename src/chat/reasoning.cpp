#include "chat/reasoning.h"

#include <algorithm>
#include <array>

#include "chat/stream_text.h"

namespace shimmy::chat {

using detail::IsSpace;

ReasoningSplitter::ReasoningSplitter(ReasoningTags tags, bool starts_in_reasoning)
    : tags_(std::move(tags)), in_reasoning_(starts_in_reasoning) {}

ReasoningDelta ReasoningSplitter::Feed(std::string_view chunk) {
  ReasoningDelta out;
  if (finished_) return out;
  pending_.append(chunk);
  Process(/*at_end=*/false, out);
  return out;
}

ReasoningDelta ReasoningSplitter::Finish() {
  ReasoningDelta out;
  if (finished_) return out;
  Process(/*at_end=*/true, out);
  finished_ = true;
  return out;
}

void ReasoningSplitter::Emit(std::string_view text, ReasoningDelta& out) {
  (in_reasoning_ ? out.reasoning : out.content).append(text);
}

void ReasoningSplitter::Process(bool at_end, ReasoningDelta& out) {
  for (;;) {
    if (skip_space_) {
      size_t i = 0;
      while (i < pending_.size() && IsSpace(pending_[i])) ++i;
      pending_.erase(0, i);
      if (pending_.empty()) return;
      skip_space_ = false;
    }
    const std::string& tag = in_reasoning_ ? tags_.close : tags_.open;
    const size_t at = tag.empty() ? std::string::npos : pending_.find(tag);
    if (at != std::string::npos) {
      std::string_view before(pending_.data(), at);
      if (in_reasoning_) before = detail::TrimRight(before);
      Emit(before, out);
      pending_.erase(0, at + tag.size());
      in_reasoning_ = !in_reasoning_;
      skip_space_ = true;
      continue;
    }
    size_t emit = pending_.size();
    if (!at_end) {
      const size_t hold =
          std::max(detail::PartialMarkerSuffix(pending_, tag), detail::Utf8HoldBack(pending_));
      emit -= hold;
    }
    // Whitespace before the closing tag is trimmed, so reasoning's trailing
    // whitespace waits until something other than the tag follows it.
    std::string_view out_text(pending_.data(), emit);
    if (in_reasoning_) out_text = detail::TrimRight(out_text);
    Emit(out_text, out);
    pending_.erase(0, at_end ? pending_.size() : out_text.size());
    return;
  }
}

ReasoningDelta SplitReasoning(std::string_view text, const ReasoningTags& tags,
                              bool starts_in_reasoning) {
  ReasoningSplitter splitter(tags, starts_in_reasoning);
  ReasoningDelta out = splitter.Feed(text);
  ReasoningDelta last = splitter.Finish();
  out.reasoning += last.reasoning;
  out.content += last.content;
  return out;
}

std::optional<ReasoningTags> DetectReasoningTags(std::string_view template_source) {
  // Longer, namespaced tags first: "<seed:think>" must not read as "<think>".
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kPairs = {{
      {"<seed:think>", "</seed:think>"},
      {"<mm:think>", "</mm:think>"},
      {"[THINK]", "[/THINK]"},
      {"<think>", "</think>"},
  }};
  for (const auto& [open, close] : kPairs) {
    if (template_source.find(open) != std::string_view::npos) {
      return ReasoningTags{std::string(open), std::string(close)};
    }
  }
  return std::nullopt;
}

bool PromptOpensReasoning(std::string_view rendered_prompt, const ReasoningTags& tags) {
  const std::string_view trimmed = detail::TrimRight(rendered_prompt);
  return !tags.open.empty() && trimmed.ends_with(tags.open);
}

}  // namespace shimmy::chat
