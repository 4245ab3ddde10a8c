// Splits model output into reasoning ("thinking") and content, incrementally.
//
//   bool inside = chat::PromptOpensReasoning(prompt);
//   chat::ReasoningSplitter split(chat::ReasoningTags{}, /*starts_in_reasoning=*/inside);
//   for (each decoded chunk) { auto d = split.Feed(chunk); Send(d.reasoning, d.content); }
//   auto last = split.Finish();
//
// Reasoning models wrap their thoughts in a tag pair (`<think>`..`</think>`,
// `[THINK]`..`[/THINK]`, ...). Some templates open the tag in the prompt, so
// the output begins inside reasoning and only the closing tag appears: pass
// starts_in_reasoning (PromptOpensReasoning tells from the rendered prompt).
//
// Contract:
//  - a tag is never emitted, whole or in part: a suffix that could still grow
//    into the tag being looked for is held back until the next chunk decides;
//    an unfinished UTF-8 sequence is held too. Tags split anywhere across
//    chunks work.
//  - the open tag starts reasoning wherever it appears in content (models
//    that interleave thinking between tool calls re-open it mid-output).
//  - whitespace is trimmed at the edges: leading whitespace of the output and
//    right after either tag is dropped, as is whitespace right before the
//    closing tag (models write "<think>\n...\n</think>\n\n").
//  - Finish() flushes: reasoning still open at the end stays reasoning (a
//    model cut off mid-thought), a held partial tag goes out as text.
//  - the concatenated output does not depend on how the input is chunked.
// Thread-safety: one splitter per stream, one thread at a time. Cost: O(chunk
// + tag length) per Feed; it keeps only the held-back suffix.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shimmy::chat {

struct ReasoningTags {
  std::string open = "<think>";
  std::string close = "</think>";
};

struct ReasoningDelta {
  std::string reasoning;
  std::string content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class ReasoningSplitter {
 public:
  explicit ReasoningSplitter(ReasoningTags tags = {}, bool starts_in_reasoning = false);

  ReasoningDelta Feed(std::string_view chunk);
  // Flushes what is held; Feed/Finish afterwards return nothing.
  ReasoningDelta Finish();

  bool in_reasoning() const { return in_reasoning_; }

 private:
  void Process(bool at_end, ReasoningDelta& out);
  void Emit(std::string_view text, ReasoningDelta& out);

  ReasoningTags tags_;
  std::string pending_;  // held-back text, not yet emitted
  bool in_reasoning_;
  bool skip_space_ = true;  // drop whitespace until the next non-space byte
  bool finished_ = false;
};

// One-shot split of a whole output (one Feed and Finish).
ReasoningDelta SplitReasoning(std::string_view text, const ReasoningTags& tags = {},
                              bool starts_in_reasoning = false);

// The tag pair a chat template uses, found in its source: `<think>`,
// `[THINK]`, `<seed:think>`, ... nullopt when it shows none. Cost: a few
// substring searches.
std::optional<ReasoningTags> DetectReasoningTags(std::string_view template_source);

// True when the rendered prompt ends (ignoring whitespace) with the open tag,
// i.e. the generation will start inside reasoning.
bool PromptOpensReasoning(std::string_view rendered_prompt, const ReasoningTags& tags = {});

}  // namespace shimmy::chat
