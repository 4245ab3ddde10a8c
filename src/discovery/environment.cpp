#include "discovery/environment.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace shimmy::discovery {
namespace {

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string Environment::Get(std::string_view name) const {
  auto it = vars.find(name);
  return it == vars.end() ? std::string() : it->second;
}

Environment Environment::FromProcess() {
  Environment env;
  for (const EnvVar& var : kEnvVars) {
    const char* value = std::getenv(std::string(var.name).c_str());
    if (value != nullptr && *value != '\0') env.vars.emplace(std::string(var.name), value);
  }
  env.home = env.Get("HOME");
  std::error_code ec;
  env.cwd = std::filesystem::current_path(ec).string();
  return env;
}

std::string AbsolutePath(const Environment& env, std::string_view path) {
  namespace fs = std::filesystem;
  std::string p(path);
  if (!env.home.empty() && (p == "~" || p.starts_with("~/"))) p = env.home + p.substr(1);
  fs::path abs = fs::path(p).is_absolute() ? fs::path(p) : fs::path(env.cwd) / p;
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::vector<Place> PlanPlaces(const Environment& env, const std::vector<std::string>& model_dirs) {
  std::vector<Place> places;
  auto add = [&](std::string label, std::string_view path, Source source, PlaceKind kind,
                 int max_depth = 5) {
    Place p;
    p.label = std::move(label);
    p.path = AbsolutePath(env, path);
    p.source = source;
    p.kind = kind;
    p.max_depth = max_depth;
    places.push_back(std::move(p));
  };
  const bool home = !env.home.empty();

  if (!model_dirs.empty()) {
    for (const std::string& dir : model_dirs) {
      for (const std::string& d : SplitList(dir))
        add("--model-dirs", d, Source::kDir, PlaceKind::kFolder);
    }
  } else {
    for (const std::string& d : SplitList(env.Get("SHIMMY_MODEL_PATHS"))) {
      add("SHIMMY_MODEL_PATHS", d, Source::kEnv, PlaceKind::kFolder);
    }
  }
  if (const std::string base = env.Get("SHIMMY_BASE_GGUF"); !base.empty()) {
    const std::string abs = AbsolutePath(env, base);
    add("SHIMMY_BASE_GGUF", std::filesystem::path(abs).parent_path().string(), Source::kEnv,
        PlaceKind::kFolder, 0);
  }
  if (const std::string lora = env.Get("SHIMMY_LORA_GGUF"); !lora.empty()) {
    add("SHIMMY_LORA_GGUF", lora, Source::kEnv, PlaceKind::kFile, 0);
  }

  add("./models", "models", Source::kDir, PlaceKind::kFolder);
  if (home) {
    add("~/models", "~/models", Source::kDir, PlaceKind::kFolder);
    add("~/.local/share/shimmy/models", "~/.local/share/shimmy/models", Source::kDir,
        PlaceKind::kFolder);
  }

  if (const std::string hub = env.Get("HF_HUB_CACHE"); !hub.empty()) {
    add("HF_HUB_CACHE", hub, Source::kHf, PlaceKind::kHfCache);
  } else if (const std::string hf_home = env.Get("HF_HOME"); !hf_home.empty()) {
    add("HF_HOME", hf_home + "/hub", Source::kHf, PlaceKind::kHfCache);
  } else if (home) {
    add("~/.cache/huggingface/hub", "~/.cache/huggingface/hub", Source::kHf, PlaceKind::kHfCache);
  }

  if (const std::string ollama = env.Get("OLLAMA_MODELS"); !ollama.empty()) {
    add("OLLAMA_MODELS", ollama, Source::kOllama, PlaceKind::kOllama);
  }
  if (home) add("~/.ollama/models", "~/.ollama/models", Source::kOllama, PlaceKind::kOllama);
  for (const std::string& dir : env.system_ollama_dirs) {
    add(dir, dir, Source::kOllama, PlaceKind::kOllama);
  }

  if (home) {
    add("~/.lmstudio/models", "~/.lmstudio/models", Source::kLmStudio, PlaceKind::kLmStudio);
    add("~/.cache/lm-studio/models", "~/.cache/lm-studio/models", Source::kLmStudio,
        PlaceKind::kLmStudio);
  }
  return places;
}

std::string CacheFilePath(const Environment& env) {
  if (const std::string xdg = env.Get("XDG_CACHE_HOME"); !xdg.empty()) {
    return AbsolutePath(env, xdg) + "/shimmy/discovery.json";
  }
  return env.home.empty() ? std::string() : env.home + "/.cache/shimmy/discovery.json";
}

std::string AliasFilePath(const Environment& env) {
  if (const std::string xdg = env.Get("XDG_CONFIG_HOME"); !xdg.empty()) {
    return AbsolutePath(env, xdg) + "/shimmy/aliases.json";
  }
  return env.home.empty() ? std::string() : env.home + "/.config/shimmy/aliases.json";
}

}  // namespace shimmy::discovery
