// Service events -> Anthropic's message JSON and its server-sent events.
// Pure functions apart from the random ids.
#include <algorithm>
#include <random>

#include "server/api_anthropic.h"
#include "server/error_body.h"

namespace shimmy::server::anthropic {
namespace {

std::string Dump(const OJson& body) {
  return body.dump(-1, ' ', /*ensure_ascii=*/false, OJson::error_handler_t::replace);
}

// A tool call's arguments as the object Anthropic's `input` must be.
OJson InputObject(const std::string& arguments) {
  OJson input = OJson::parse(arguments, nullptr, /*allow_exceptions=*/false);
  return input.is_object() ? input : OJson::object();
}

OJson Usage(int input_tokens, int output_tokens) {
  return {{"input_tokens", input_tokens}, {"output_tokens", output_tokens}};
}

OJson StopSequenceJson(const std::optional<std::string>& s) {
  return s ? OJson(*s) : OJson(nullptr);
}

}  // namespace

std::string Event(std::string_view name, const OJson& data) {
  std::string out = "event: ";
  out += name;
  out += "\ndata: ";
  out += Dump(data);
  out += "\n\n";
  return out;
}

std::string NewId(std::string_view prefix) {
  static constexpr std::string_view kAlnum =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, kAlnum.size() - 1);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += kAlnum[pick(rng)];
  return id;
}

std::string StopReason(const ChoiceFinal& choice, const std::optional<std::string>& stop_sequence) {
  if (choice.finish_reason == "tool_calls") return "tool_use";
  if (choice.finish_reason == "length") return "max_tokens";
  if (stop_sequence) return "stop_sequence";
  return "end_turn";
}

std::optional<std::string> MatchedStopSequence(const std::vector<std::string>& stops,
                                               std::span<const std::string> pieces) {
  if (stops.empty() || pieces.empty()) return std::nullopt;
  std::string text;
  for (const std::string& p : pieces) text += p;
  const size_t last_start = text.size() - pieces.back().size();
  std::optional<std::string> best;
  size_t best_end = std::string::npos;
  for (const std::string& s : stops) {
    if (s.empty() || s.size() > text.size()) continue;
    // The first place `s` could start and still end inside the last piece.
    const size_t from = last_start + 1 > s.size() ? last_start + 1 - s.size() : 0;
    const size_t at = text.find(s, from);
    if (at == std::string::npos) continue;
    const size_t end = at + s.size();
    if (end < best_end) {
      best = s;
      best_end = end;
    }
  }
  return best;
}

OJson ContentBlocks(const ChoiceFinal& choice) {
  OJson blocks = OJson::array();
  if (!choice.reasoning.empty()) {
    blocks.push_back({{"type", "thinking"}, {"thinking", choice.reasoning}, {"signature", ""}});
  }
  if (!choice.content.empty()) blocks.push_back({{"type", "text"}, {"text", choice.content}});
  for (const chat::ToolCall& call : choice.tool_calls) {
    blocks.push_back({{"type", "tool_use"},
                      {"id", call.id},
                      {"name", call.name},
                      {"input", InputObject(call.arguments)}});
  }
  // Clients read content[0]; an empty answer still has one (empty) block.
  if (blocks.empty()) blocks.push_back({{"type", "text"}, {"text", ""}});
  return blocks;
}

OJson MessageJson(std::string_view id, std::string_view model, const CompletionFinal& final,
                  const std::optional<std::string>& stop_sequence) {
  static const ChoiceFinal kNone;
  const ChoiceFinal& choice = final.choices.empty() ? kNone : final.choices[0];
  return {{"id", id},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model},
          {"content", ContentBlocks(choice)},
          {"stop_reason", StopReason(choice, stop_sequence)},
          {"stop_sequence", StopSequenceJson(stop_sequence)},
          {"usage", Usage(final.prompt_tokens, final.completion_tokens)}};
}

EventWriter::EventWriter(std::string id, std::string model)
    : id_(std::move(id)), model_(std::move(model)) {}

std::string EventWriter::Start(int input_tokens) {
  const OJson message = {{"id", id_},
                         {"type", "message"},
                         {"role", "assistant"},
                         {"model", model_},
                         {"content", OJson::array()},
                         {"stop_reason", nullptr},
                         {"stop_sequence", nullptr},
                         {"usage", Usage(input_tokens, 0)}};
  return Event("message_start", {{"type", "message_start"}, {"message", message}}) +
         Event("ping", {{"type", "ping"}});
}

std::string EventWriter::Open(Block block, OJson content_block) {
  std::string out = Close();
  open_ = block;
  ++index_;
  return out + Event("content_block_start", {{"type", "content_block_start"},
                                             {"index", index_},
                                             {"content_block", std::move(content_block)}});
}

std::string EventWriter::Close() {
  if (open_ == Block::kNone) return "";
  open_ = Block::kNone;
  tool_index_ = -1;
  return Event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
}

std::string EventWriter::Ensure(Block block) {
  if (open_ == block) return "";
  if (block == Block::kThinking) {
    return Open(block, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}});
  }
  return Open(block, {{"type", "text"}, {"text", ""}});
}

std::string EventWriter::Delta(const chat::OutputDelta& delta) {
  std::string out;
  auto block_delta = [&](OJson d) {
    out += Event("content_block_delta",
                 {{"type", "content_block_delta"}, {"index", index_}, {"delta", std::move(d)}});
  };
  if (!delta.reasoning.empty()) {
    out += Ensure(Block::kThinking);
    block_delta({{"type", "thinking_delta"}, {"thinking", delta.reasoning}});
  }
  if (!delta.content.empty()) {
    out += Ensure(Block::kText);
    block_delta({{"type", "text_delta"}, {"text", delta.content}});
  }
  for (const chat::ToolCallDelta& call : delta.tool_calls) {
    // A new call opens its block; a later piece of the open one appends.
    if (open_ != Block::kToolUse || call.index != tool_index_) {
      out += Open(
          Block::kToolUse,
          {{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", OJson::object()}});
      tool_index_ = call.index;
    }
    if (!call.arguments.empty()) {
      block_delta({{"type", "input_json_delta"}, {"partial_json", call.arguments}});
    }
  }
  return out;
}

std::string EventWriter::Final(const CompletionFinal& final,
                               const std::optional<std::string>& stop_sequence) {
  static const ChoiceFinal kNone;
  const ChoiceFinal& choice = final.choices.empty() ? kNone : final.choices[0];
  // As in MessageJson, an empty answer still has one (empty) text block.
  std::string out = index_ < 0 ? Ensure(Block::kText) : "";
  out += Close();
  out += Event("message_delta", {{"type", "message_delta"},
                                 {"delta",
                                  {{"stop_reason", StopReason(choice, stop_sequence)},
                                   {"stop_sequence", StopSequenceJson(stop_sequence)}}},
                                 {"usage", {{"output_tokens", final.completion_tokens}}}});
  out += Event("message_stop", {{"type", "message_stop"}});
  return out;
}

std::string EventWriter::Error(boost::beast::http::status status, std::string_view message) {
  return Event("error", {{"type", "error"},
                         {"error", {{"type", AnthropicErrorType(status)}, {"message", message}}}});
}

}  // namespace shimmy::server::anthropic
