#include "app/model_arg.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "discovery/classify.h"
#include "discovery/environment.h"
#include "discovery/naming.h"
#include "discovery/walk.h"

namespace shimmy::app {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Names a typo or a partial name probably meant: those containing what was
// typed, then those a few edits away (from the whole name, the part before
// the tag, or its start), closest first.
std::vector<std::string> CloseNames(const discovery::Registry& registry, const std::string& typed) {
  const std::string want = discovery::ToLower(typed);
  const size_t limit = std::max<size_t>(2, want.size() / 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const discovery::ModelEntry& e : registry.models()) {
    const std::string model_part = e.name.substr(0, e.name.rfind(':'));
    size_t d = std::min({EditDistance(want, e.name), EditDistance(want, model_part),
                         EditDistance(want, model_part.substr(0, want.size()))});
    if (e.name.find(want) != std::string::npos || want.find(model_part) != std::string::npos) d = 0;
    if (d <= limit) scored.emplace_back(d, e.name);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < scored.size() && i < 5; ++i) names.push_back(scored[i].second);
  return names;
}

bool LooksLikePath(const std::string& arg) {
  return arg.starts_with('/') || arg.starts_with("./") || arg.starts_with("../") ||
         arg.starts_with('~') || arg.ends_with(".gguf") || arg.ends_with(".GGUF");
}

// Why an entry of another kind cannot run as a language model.
std::string NotAnLlm(const discovery::ModelEntry& e) {
  using discovery::ModelKind;
  switch (e.facts.kind) {
    case ModelKind::kEmbedding:
      return "'" + e.name + "' is an embedding model, not a language model";
    case ModelKind::kMmproj:
      return "'" + e.name + "' is a vision projector, not a language model" +
             (e.base.empty() ? "" : " (it belongs to '" + e.base + "')");
    case ModelKind::kLora:
      return "'" + e.name + "' is a LoRA adapter, not a language model" +
             (e.base.empty() ? "" : " (its base is '" + e.base + "')");
    default:
      return "'" + e.name + "' is not a language model";
  }
}

}  // namespace

void AddModelArgs(CLI::App* cmd, ModelArgs& args, bool prompt_text) {
  cmd->add_option("MODEL", args.positional,
                  prompt_text ? "Model name (`shimmy list`) or GGUF file, then the prompt text "
                                "(with --model: all prompt text)"
                              : "Model name (`shimmy list`) or GGUF file");
  cmd->add_option("-m,--model", args.flag, "Model name or GGUF file (instead of the positional)");
}

Result<ModelAndPrompt> SplitModelArgs(const ModelArgs& args, bool prompt_text, bool prompt_given) {
  ModelAndPrompt out;
  auto words = args.positional.begin();
  if (!args.flag.empty()) {
    out.model = args.flag;
  } else if (words != args.positional.end()) {
    out.model = *words++;
  } else {
    return Error("no model given: name one (`shimmy list` shows the names) or a GGUF file");
  }
  if (words == args.positional.end()) return out;
  std::string rest;
  for (auto w = words; w != args.positional.end(); ++w) rest += (rest.empty() ? "" : " ") + *w;
  if (!prompt_text) return Error("unexpected argument '" + rest + "' after the model");
  if (prompt_given) {
    return Error("the prompt is given twice: as text ('" + rest + "') and by a --prompt flag");
  }
  out.prompt = rest;
  return out;
}

DiscoveredModels DiscoverModels(const std::vector<std::string>& model_dirs, bool rescan,
                                const std::vector<std::string>& extra_files) {
  const discovery::Environment env = discovery::Environment::FromProcess();
  const bool use_cache = env.Get("SHIMMY_NO_DISCOVERY_CACHE") != "1";
  const std::string cache_file = use_cache ? discovery::CacheFilePath(env) : std::string();
  discovery::FactCache cache;
  if (!rescan && !cache_file.empty()) cache.Load(cache_file);
  discovery::DiscoverOptions options;
  options.model_dirs = model_dirs;
  options.reread = rescan;
  discovery::DiscoveryResult result = discovery::Discover(env, options, cache);

  DiscoveredModels out;
  for (const std::string& path : extra_files) {
    const auto stat = discovery::StatFile(path);
    discovery::FileStamp stamp;
    if (stat) stamp = {.size = stat->size, .mtime_ns = stat->mtime_ns, .n_files = 1};
    const discovery::ModelFacts* cached = stat && !rescan ? cache.Find(path, stamp) : nullptr;
    if (cached != nullptr) {
      out.extra_facts.push_back(*cached);
      continue;
    }
    out.extra_facts.push_back(discovery::ReadFacts(path));
    if (stat) cache.Put(path, stamp, out.extra_facts.back());
  }
  if (!cache_file.empty()) {
    if (auto st = cache.Save(cache_file); !st) out.cache_error = st.error().message();
  }
  out.registry = discovery::Registry(std::move(result.models));
  out.places = std::move(result.places);
  out.problems = std::move(result.problems);
  if (const std::string aliases = discovery::AliasFilePath(env); !aliases.empty()) {
    for (auto& p : out.registry.LoadAliasFile(aliases)) out.problems.push_back(std::move(p));
  }
  return out;
}

Result<ResolvedModel> ResolveModelArg(const std::string& arg) {
  if (arg.empty()) return Error("no model given: name a model (`shimmy list`) or a GGUF file");
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    ResolvedModel file;
    file.path = arg;
    return file;
  }
  if (LooksLikePath(arg)) return Error(arg + ": no such file");

  DiscoveredModels found = DiscoverModels({}, false);
  auto entry = found.registry.Resolve(arg);
  if (!entry) {
    if (found.registry.models().empty()) {
      return Error("no model named '" + arg +
                   "' and no models found on this machine (`shimmy discover` shows where "
                   "shimmy looked)");
    }
    const std::vector<std::string> close = CloseNames(found.registry, arg);
    if (close.empty() || entry.error().message().find("matches several") != std::string::npos) {
      return entry.error();
    }
    std::string names;
    for (const std::string& n : close) names += (names.empty() ? "" : ", ") + n;
    return Error("no model named '" + arg + "'; did you mean: " + names +
                 "? (`shimmy list` shows every name)");
  }
  const discovery::ModelEntry& e = **entry;
  if (e.facts.kind != discovery::ModelKind::kLlm) return Error(NotAnLlm(e));
  return ResolvedModel{.path = e.path, .name = e.name, .entry = e};
}

}  // namespace shimmy::app
