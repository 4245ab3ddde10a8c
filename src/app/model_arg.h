// What a user typed for a model, turned into a GGUF file to load.
//
// The command line takes either a file path or a registry name (`shimmy
// list` shows the names). An existing file always wins, so a model in the
// working folder is never shadowed by a discovered one; anything else is
// resolved by discovery::Registry, with the same cache and alias file that
// `shimmy list` uses. Only the command line may name a path: servers
// resolve names through the Registry alone.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "discovery/discover.h"
#include "discovery/registry.h"

namespace shimmy::app {

// How a command was told its model: `shimmy CMD MODEL ...` or
// `shimmy CMD --model MODEL ...`.
struct ModelArgs {
  std::vector<std::string> positional;  // as typed: MODEL, then (generate) prompt words
  std::string flag;                     // -m/--model
};

// Registers the MODEL positional and -m,--model on `cmd`. `prompt_text`:
// the command also takes its prompt as positional text (generate).
void AddModelArgs(CLI::App* cmd, ModelArgs& args, bool prompt_text);

struct ModelAndPrompt {
  std::string model;                  // a name or a path, not yet resolved
  std::optional<std::string> prompt;  // positional prompt words joined by ' '
};

// Which positional is which. With --model every positional is prompt text
// (`generate "Hello world" --model qwen:4b`); without it the first is the
// model and the rest the prompt (`generate qwen:4b "Hello"`). Prompt text is
// refused when the prompt already came from a flag (`prompt_given`) or the
// command takes none. Errors are usage errors.
Result<ModelAndPrompt> SplitModelArgs(const ModelArgs& args, bool prompt_text, bool prompt_given);

// One discovery run as `list`/`discover` see it.
struct DiscoveredModels {
  discovery::Registry registry;              // models plus aliases
  std::vector<discovery::Place> places;      // every place looked at
  std::vector<discovery::Problem> problems;  // skipped files, folders, bad aliases
  std::string cache_error;                   // the cache could not be written ("" ok)
  std::vector<discovery::ModelFacts> extra_facts;  // one per `extra_files`, in order
};

// Scans every model place. `rescan` re-reads every header; otherwise
// unchanged files come from the discovery cache (~/.cache/shimmy), which
// is written back unless SHIMMY_NO_DISCOVERY_CACHE=1. Never fails.
// `extra_files` (e.g. serve's --model-path) are not scanned places, but
// their facts go through the same cache, so a restart does not parse their
// header again (a 150k-token vocabulary takes ~40 ms to read).
DiscoveredModels DiscoverModels(const std::vector<std::string>& model_dirs, bool rescan,
                                const std::vector<std::string>& extra_files = {});

struct ResolvedModel {
  std::string path;                            // the GGUF to open (first shard)
  std::string name;                            // registry name; "" for a path
  std::optional<discovery::ModelEntry> entry;  // what discovery knows; none for a path
};

// `arg` as a path when it names an existing file, else as a registry name.
// Errors: no such file (for arguments that look like paths), an unknown
// name (with close names, or a pointer to `shimmy list`), an ambiguous
// prefix, or a name that is not a language model (embedding, projector,
// adapter). Cost: a discovery scan (cached: milliseconds) for names.
Result<ResolvedModel> ResolveModelArg(const std::string& arg);

}  // namespace shimmy::app
