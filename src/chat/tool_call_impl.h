// Internal: the parser behind ToolCallStreamParser. Two kinds exist: the
// block engine (tool_calls.cpp, every marker-based format) and the gpt-oss
// harmony channel parser (tool_call_harmony.cpp).
#pragma once

#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "chat/tool_calls.h"

namespace shimmy::chat {

class ToolCallStreamParser::Impl {
 public:
  explicit Impl(const ToolCallOptions& options);
  virtual ~Impl() = default;

  // Appends `chunk` and emits what is now decided; at_end resolves everything.
  virtual void Process(std::string_view chunk, bool at_end, OutputDelta& out) = 0;

  const std::vector<ToolCall>& calls() const { return calls_; }

 protected:
  // Gives each new call its index and (when the model wrote none) an id,
  // records it and emits it as one delta.
  void Release(std::vector<ToolCall> new_calls, OutputDelta& out);

 private:
  std::string NewId();

  std::mt19937_64 rng_;
  std::vector<ToolCall> calls_;
};

std::unique_ptr<ToolCallStreamParser::Impl> MakeHarmonyParser(const ToolCallOptions& options);

}  // namespace shimmy::chat
