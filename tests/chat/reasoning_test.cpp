#include "chat/reasoning.h"

#include <gtest/gtest.h>

#include "chat/output_test_util.h"

namespace shimmy::chat {
namespace {

using testing::ParseEverySplit;

ChatOutputOptions Reasoning(ReasoningTags tags = {}, bool starts_inside = false) {
  ChatOutputOptions o;
  o.tool_calls.format = ToolCallFormat::kNone;
  o.reasoning = std::move(tags);
  o.starts_in_reasoning = starts_inside;
  return o;
}

TEST(ReasoningTest, SplitsThinkBlockFromContent) {
  auto r = ParseEverySplit(Reasoning(), "<think>\nThe user greets me.\n</think>\n\nHello! 👋");
  EXPECT_EQ(r.reasoning, "The user greets me.");
  EXPECT_EQ(r.content, "Hello! 👋");
}

TEST(ReasoningTest, StartsInsideWhenThePromptOpenedTheTag) {
  auto r = ParseEverySplit(Reasoning({}, true), "Let me think: 2+2 is 4.\n</think>\n\nIt is 4.");
  EXPECT_EQ(r.reasoning, "Let me think: 2+2 is 4.");
  EXPECT_EQ(r.content, "It is 4.");
}

TEST(ReasoningTest, NoTagsIsAllContent) {
  auto r = ParseEverySplit(Reasoning(), "Plain answer with a < sign and </thin text.");
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "Plain answer with a < sign and </thin text.");
}

TEST(ReasoningTest, UnterminatedReasoningStaysReasoning) {
  auto r = ParseEverySplit(Reasoning(), "<think>I was cut off mid-thou");
  EXPECT_EQ(r.reasoning, "I was cut off mid-thou");
  EXPECT_EQ(r.content, "");
  // A partial closing tag at the very end is text, not lost.
  r = ParseEverySplit(Reasoning(), "<think>almost</thi");
  EXPECT_EQ(r.reasoning, "almost</thi");
}

TEST(ReasoningTest, PartialOpenTagAtEndIsContent) {
  auto r = ParseEverySplit(Reasoning(), "Answer <thin");
  EXPECT_EQ(r.content, "Answer <thin");
}

TEST(ReasoningTest, InterleavedThinkingBetweenContent) {
  auto r =
      ParseEverySplit(Reasoning(), "<think>first</think>Step one.<think> second </think> Done.");
  EXPECT_EQ(r.reasoning, "firstsecond");
  EXPECT_EQ(r.content, "Step one.Done.");
}

TEST(ReasoningTest, InnerWhitespaceIsKept) {
  auto r = ParseEverySplit(Reasoning(), "<think>a \n\n b\t</think>x  y ");
  EXPECT_EQ(r.reasoning, "a \n\n b");
  EXPECT_EQ(r.content, "x  y ");
}

TEST(ReasoningTest, MistralThinkTagsAndUnicode) {
  auto r =
      ParseEverySplit(Reasoning({"[THINK]", "[/THINK]"}), "[THINK]日本語で考える…[/THINK]答え: 42");
  EXPECT_EQ(r.reasoning, "日本語で考える…");
  EXPECT_EQ(r.content, "答え: 42");
}

TEST(ReasoningTest, OneShotHelperMatchesStreaming) {
  ReasoningDelta d = SplitReasoning("<think>x</think>y");
  EXPECT_EQ(d.reasoning, "x");
  EXPECT_EQ(d.content, "y");
  ReasoningSplitter s;
  ReasoningDelta a = s.Feed("<thi");
  EXPECT_TRUE(a.empty());  // a partial tag is never emitted
  a = s.Feed("nk>ab</th");
  EXPECT_EQ(a.reasoning, "ab");
  EXPECT_TRUE(s.in_reasoning());
  a = s.Feed("ink>c");
  EXPECT_EQ(a.content, "c");
  EXPECT_TRUE(s.Finish().empty());
  EXPECT_TRUE(s.Feed("more").empty());  // after Finish
}

TEST(ReasoningTest, DetectsTagsFromTemplates) {
  EXPECT_EQ(DetectReasoningTags("{{ '<think>\\n' }}")->open, "<think>");
  EXPECT_EQ(DetectReasoningTags("[THINK]{{ t }}[/THINK]")->close, "[/THINK]");
  EXPECT_EQ(DetectReasoningTags("<seed:think>x</seed:think>")->open, "<seed:think>");
  EXPECT_FALSE(DetectReasoningTags("{{ messages }}").has_value());
  EXPECT_TRUE(PromptOpensReasoning("<|im_start|>assistant\n<think>\n"));
  EXPECT_FALSE(PromptOpensReasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(PromptOpensReasoning("<|im_start|>assistant\n"));
}

}  // namespace
}  // namespace shimmy::chat
