// Where discovery looks, derived from the environment (never from global
// state inside the scan, so tests can point HOME anywhere).
//
// Search order (PRODUCT.md §4), each place only if it exists:
//   --model-dirs, else SHIMMY_MODEL_PATHS (';'-separated)      source env/dir
//   the folder of SHIMMY_BASE_GGUF, the file SHIMMY_LORA_GGUF   source env
//   ./models, ~/models, ~/.local/share/shimmy/models            source dir
//   HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
//   OLLAMA_MODELS, ~/.ollama/models, /usr/share/ollama/.ollama/models
//   ~/.lmstudio/models, ~/.cache/lm-studio/models
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/model_entry.h"

namespace shimmy::discovery {

// Every environment variable discovery reads.
struct EnvVar {
  std::string_view name;
  std::string_view help;
};
inline constexpr std::array<EnvVar, 10> kEnvVars = {{
    {"HOME", "home folder: ~/models, ~/.ollama, ~/.lmstudio, ~/.cache"},
    {"SHIMMY_MODEL_PATHS", "extra model folders, ';'-separated (--model-dirs overrides)"},
    {"SHIMMY_BASE_GGUF", "a model file; its folder is searched"},
    {"SHIMMY_LORA_GGUF", "a LoRA adapter, paired with SHIMMY_BASE_GGUF"},
    {"HF_HUB_CACHE", "Hugging Face hub cache"},
    {"HF_HOME", "Hugging Face home; the hub cache is $HF_HOME/hub"},
    {"OLLAMA_MODELS", "Ollama model store"},
    {"XDG_CACHE_HOME", "where the discovery cache lives (default ~/.cache)"},
    {"XDG_CONFIG_HOME", "where aliases.json lives (default ~/.config)"},
    {"SHIMMY_NO_DISCOVERY_CACHE", "set to 1 to neither read nor write the discovery cache"},
}};

struct Environment {
  std::string home;  // "" when HOME is unset: home places are skipped
  std::string cwd;
  std::map<std::string, std::string, std::less<>> vars;  // set, non-empty kEnvVars
  std::vector<std::string> system_ollama_dirs = {"/usr/share/ollama/.ollama/models"};

  std::string Get(std::string_view name) const;  // "" when unset
  // Reads kEnvVars and the working folder of this process.
  static Environment FromProcess();
};

// The places to search, in order, as absolute normalised paths (statuses
// are filled in by the scan).
std::vector<Place> PlanPlaces(const Environment& env, const std::vector<std::string>& model_dirs);

// `path` made absolute: a leading "~" is HOME, relative paths are relative
// to the working folder; "." and ".." are folded, no trailing '/'.
std::string AbsolutePath(const Environment& env, std::string_view path);

// $XDG_CACHE_HOME/shimmy/discovery.json or ~/.cache/shimmy/discovery.json;
// "" when neither is known.
std::string CacheFilePath(const Environment& env);
// $XDG_CONFIG_HOME/shimmy/aliases.json or ~/.config/shimmy/aliases.json.
std::string AliasFilePath(const Environment& env);

}  // namespace shimmy::discovery
