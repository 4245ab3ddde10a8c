// shimmy inspect FILE [--json]: what is in a GGUF file, read from its header.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/value_json.h"
#include "gguf/gguf_file.h"
#include "gguf/summary.h"

namespace shimmy::app {
namespace {

struct InspectOptions {
  std::string path;
  bool json = false;
};

nlohmann::json SummaryJson(const gguf::GgufFile& file, const gguf::Summary& s) {
  nlohmann::json types = nlohmann::json::array();
  for (const auto& t : s.types) {
    types.push_back({{"type", std::string(Name(t.type))},
                     {"tensors", t.n_tensors},
                     {"elements", t.n_elements},
                     {"bytes", t.n_bytes}});
  }
  nlohmann::json metadata = nlohmann::json::object();
  for (const auto& kv : file.metadata()) metadata[kv.key] = ValueToJson(kv.value);
  return {
      {"path", file.path()},
      {"gguf_version", file.version()},
      {"shards", file.n_shards()},
      {"file_size", file.file_size()},
      {"architecture", s.architecture},
      {"name", s.name},
      {"parameters", s.n_params},
      {"tensor_count", file.tensors().size()},
      {"tensor_bytes", s.n_tensor_bytes},
      {"quantization", s.dominant_type},
      {"tensor_types", types},
      {"context_length", s.context_length ? nlohmann::json(*s.context_length) : nlohmann::json()},
      {"vocab_size", s.vocab_size},
      {"tokenizer_model", s.tokenizer_model},
      {"tokenizer_pre", s.tokenizer_pre},
      {"chat_template", s.has_chat_template},
      {"metadata", metadata},
  };
}

void PrintText(const gguf::GgufFile& file, const gguf::Summary& s) {
  fmt::print("file:            {}{}\n", file.path(),
             file.n_shards() > 1 ? fmt::format(" ({} shards)", file.n_shards()) : "");
  fmt::print("gguf version:    {}\n", file.version());
  fmt::print("architecture:    {}\n", s.architecture.empty() ? "(none)" : s.architecture);
  if (!s.name.empty()) fmt::print("name:            {}\n", s.name);
  fmt::print("parameters:      {} ({})\n", gguf::FormatParamCount(s.n_params), s.n_params);
  fmt::print("tensors:         {} ({} bytes)\n", file.tensors().size(), s.n_tensor_bytes);
  std::string mix;
  for (const auto& t : s.types) {
    if (!mix.empty()) mix += ", ";
    mix += fmt::format("{} x{}", Name(t.type), t.n_tensors);
  }
  fmt::print("tensor types:    {}\n", mix.empty() ? "(none)" : mix);
  fmt::print("context length:  {}\n",
             s.context_length ? std::to_string(*s.context_length) : std::string("(unknown)"));
  fmt::print("vocabulary:      {} tokens, tokenizer {}{}\n", s.vocab_size,
             s.tokenizer_model.empty() ? "(none)" : s.tokenizer_model,
             s.tokenizer_pre.empty() ? "" : " / " + s.tokenizer_pre);
  fmt::print("chat template:   {}\n", s.has_chat_template ? "yes" : "no");
  fmt::print("metadata ({} keys):\n", file.metadata().size());
  for (const auto& kv : file.metadata()) {
    fmt::print("  {} = {}\n", kv.key, ValueToText(kv.value));
  }
}

}  // namespace

void RegisterInspect(CLI::App& app, CommandRunner& runner) {
  auto opts = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Show what a GGUF file holds (header only)");
  cmd->add_option("file", opts->path, "GGUF file (any shard of a split model)")->required();
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->callback([opts, &runner] {
    runner = [opts] {
      auto file = gguf::GgufFile::Open(opts->path);
      if (!file) {
        std::fprintf(stderr, "error: %s\n", file.error().message().c_str());
        return kExitRuntime;
      }
      const gguf::Summary s = gguf::Summarize(*file);
      if (opts->json) {
        std::puts(SummaryJson(*file, s)
                      .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                      .c_str());
      } else {
        PrintText(*file, s);
      }
      return kExitOk;
    };
  });
}

}  // namespace shimmy::app
