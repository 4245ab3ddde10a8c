// Shared by the reasoning and tool-call tests: feed a text in every 2-way
// split and byte by byte, and check the result never depends on chunking.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "chat/tool_calls.h"

namespace shimmy::chat::testing {

struct Collected {
  std::string reasoning;
  std::string content;
  std::vector<ToolCallDelta> deltas;
  std::vector<ToolCall> calls;
};

inline void ExpectWholeChars(const std::string& piece, std::string_view where) {
  EXPECT_EQ(utf8::IncompleteTail(piece), 0u) << where << " delta splits a character: " << piece;
}

inline Collected Run(const ChatOutputOptions& options,
                     const std::vector<std::string_view>& chunks) {
  ChatOutputParser parser(options);
  Collected c;
  auto take = [&](OutputDelta d) {
    ExpectWholeChars(d.content, "content");
    ExpectWholeChars(d.reasoning, "reasoning");
    c.reasoning += d.reasoning;
    c.content += d.content;
    for (auto& t : d.tool_calls) c.deltas.push_back(t);
  };
  for (std::string_view chunk : chunks) take(parser.Feed(chunk));
  take(parser.Finish());
  c.calls = parser.tool_calls();
  return c;
}

inline void ExpectSame(const Collected& got, const Collected& want, const std::string& how) {
  EXPECT_EQ(got.reasoning, want.reasoning) << how;
  EXPECT_EQ(got.content, want.content) << how;
  EXPECT_EQ(got.deltas, want.deltas) << how;
  EXPECT_EQ(got.calls, want.calls) << how;
}

// The one-shot parse, checked against every 2-chunk split and byte-by-byte
// feeding; the deltas' argument fragments must add up to each call's
// arguments. Returns the one-shot result for the caller's expectations.
inline Collected ParseEverySplit(const ChatOutputOptions& options, std::string_view text) {
  const Collected whole = Run(options, {text});
  for (size_t i = 0; i <= text.size(); ++i) {
    ExpectSame(Run(options, {text.substr(0, i), text.substr(i)}), whole,
               "split at " + std::to_string(i));
    if (::testing::Test::HasFailure()) return whole;
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
  ExpectSame(Run(options, bytes), whole, "byte by byte");
  std::vector<std::string> args(whole.calls.size());
  for (const ToolCallDelta& d : whole.deltas) {
    if (d.index >= 0 && static_cast<size_t>(d.index) < args.size()) args[d.index] += d.arguments;
  }
  for (size_t i = 0; i < whole.calls.size(); ++i) EXPECT_EQ(args[i], whole.calls[i].arguments);
  return whole;
}

inline ChatOutputOptions ToolsOnly(ToolCallFormat format) {
  ChatOutputOptions o;
  o.tool_calls.format = format;
  o.tool_calls.id_seed = 7;
  return o;
}

}  // namespace shimmy::chat::testing
