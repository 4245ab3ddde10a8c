// shimmy list / shimmy discover: the models shimmy finds without being told
// (see src/discovery). `list` answers from the discovery cache where files
// are unchanged; `discover` reads every header again and shows each place
// it looked.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/model_arg.h"
#include "gguf/summary.h"

namespace shimmy::app {
namespace {

using discovery::ModelEntry;
// Keys in the order they are written, so the output reads name first.
using Json = nlohmann::ordered_json;

struct DiscoveryCliOptions {
  bool llm_only = false;
  bool json = false;
  std::vector<std::string> model_dirs;
};

std::string FormatBytes(uint64_t n) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

Json EntryJson(const ModelEntry& e) {
  Json j = {
      {"name", e.name},
      {"path", e.path},
      {"kind", discovery::KindName(e.facts.kind)},
      {"arch", e.facts.arch},
      {"params", e.facts.n_params},
      {"quant", e.facts.quant},
      {"size_bytes", e.size_bytes},
      {"context_length", e.facts.context_length ? Json(*e.facts.context_length) : Json()},
      {"source", discovery::SourceName(e.source)},
  };
  if (e.shard_paths.size() > 1) j["shards"] = e.shard_paths;
  if (!e.mmproj.empty()) j["mmproj"] = e.mmproj;
  if (!e.loras.empty()) j["lora"] = e.loras;
  if (!e.base.empty()) j["base"] = e.base;
  if (!e.aliases.empty()) j["aliases"] = e.aliases;
  if (!e.ollama.empty()) {
    Json d = Json::object();
    if (!e.ollama.params_json.empty()) {
      d["params"] = Json::parse(e.ollama.params_json, nullptr, false);
      if (d["params"].is_discarded()) d["params"] = e.ollama.params_json;
    }
    if (!e.ollama.system.empty()) d["system"] = e.ollama.system;
    if (!e.ollama.template_text.empty()) d["template"] = e.ollama.template_text;
    j["ollama"] = d;
  }
  return j;
}

std::string Dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace); }

void PrintTable(const std::vector<const ModelEntry*>& models) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "KIND", "ARCH", "PARAMS", "QUANT", "SIZE", "CONTEXT", "SOURCE"}};
  for (const ModelEntry* e : models) {
    rows.push_back({e->name, std::string(discovery::KindName(e->facts.kind)), e->facts.arch,
                    gguf::FormatParamCount(e->facts.n_params), e->facts.quant,
                    FormatBytes(e->size_bytes),
                    e->facts.context_length ? std::to_string(*e->facts.context_length) : "-",
                    std::string(discovery::SourceName(e->source))});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += c + 1 == row.size() ? row[c] : fmt::format("{:<{}}  ", row[c], width[c]);
    }
    std::puts(line.c_str());
  }
}

int Run(const DiscoveryCliOptions& opts, bool rescan) {
  DiscoveredModels result = DiscoverModels(opts.model_dirs, rescan);
  if (!result.cache_error.empty() && rescan) {
    std::fprintf(stderr, "warning: %s\n", result.cache_error.c_str());
  }
  const discovery::Registry& registry = result.registry;
  std::vector<const ModelEntry*> shown;
  for (const ModelEntry& e : registry.models()) {
    if (!opts.llm_only || e.facts.kind == discovery::ModelKind::kLlm) shown.push_back(&e);
  }

  if (opts.json) {
    Json models = Json::array();
    for (const ModelEntry* e : shown) models.push_back(EntryJson(*e));
    if (!rescan) {
      std::puts(Dump(models).c_str());
      return kExitOk;
    }
    Json places = Json::array();
    for (const auto& p : result.places) {
      places.push_back({{"label", p.label},
                        {"path", p.path},
                        {"source", discovery::SourceName(p.source)},
                        {"status", discovery::PlaceStatusName(p.status)},
                        {"models", p.n_models},
                        {"detail", p.detail}});
    }
    Json problems = Json::array();
    for (const auto& p : result.problems)
      problems.push_back({{"path", p.path}, {"message", p.message}});
    std::puts(Dump({{"places", places}, {"models", models}, {"problems", problems}}).c_str());
    return kExitOk;
  }

  if (rescan) {
    std::puts("Places searched:");
    size_t label_width = 0;
    for (const auto& p : result.places) label_width = std::max(label_width, p.label.size());
    for (const auto& p : result.places) {
      std::string extra;
      if (p.status == discovery::PlaceStatus::kFound) {
        extra = fmt::format(" ({} model{})", p.n_models, p.n_models == 1 ? "" : "s");
      } else if (!p.detail.empty() && p.status != discovery::PlaceStatus::kMissing) {
        extra = " (" + p.detail + ")";
      }
      std::puts(fmt::format("  {:<10}  {:<{}}  {}{}", discovery::PlaceStatusName(p.status), p.label,
                            label_width, p.path, extra)
                    .c_str());
    }
    std::puts("");
  }
  if (shown.empty()) {
    std::puts(rescan ? "No models found."
                     : "No models found; `shimmy discover` shows where shimmy looked.");
  } else {
    PrintTable(shown);
  }
  if (rescan && !result.problems.empty()) {
    std::puts("\nSkipped:");
    for (const auto& p : result.problems)
      std::puts(fmt::format("  {}: {}", p.path, p.message).c_str());
  }
  return kExitOk;
}

void AddCommon(CLI::App* cmd, DiscoveryCliOptions& opts) {
  cmd->add_flag("--llm-only", opts.llm_only, "Only chat/completion models");
  cmd->add_flag("--json", opts.json, "Print JSON");
  cmd->add_option("--model-dirs", opts.model_dirs,
                  "Model folders, ';'-separated (replaces SHIMMY_MODEL_PATHS)");
}

}  // namespace

void RegisterDiscovery(CLI::App& app, CommandRunner& runner) {
  auto list_opts = std::make_shared<DiscoveryCliOptions>();
  auto* list = app.add_subcommand("list", "List the models found on this machine");
  AddCommon(list, *list_opts);
  list->callback([list_opts, &runner] { runner = [list_opts] { return Run(*list_opts, false); }; });

  auto discover_opts = std::make_shared<DiscoveryCliOptions>();
  auto* discover = app.add_subcommand(
      "discover", "Search every model location again and show what was found where");
  AddCommon(discover, *discover_opts);
  discover->callback(
      [discover_opts, &runner] { runner = [discover_opts] { return Run(*discover_opts, true); }; });
}

}  // namespace shimmy::app
