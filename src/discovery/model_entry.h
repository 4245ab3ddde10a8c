// What discovery finds: places it looked, models (one entry per usable GGUF
// model, a split model being one entry), and problems (broken files,
// unreadable folders), all plain values.
//
// Layer: discovery may include base, gguf and tensor only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shimmy::discovery {

// What a GGUF file is, decided from its metadata, never from its name.
enum class ModelKind {
  kLlm,        // chat/completion model
  kEmbedding,  // pooling_type set, or an encoder-only architecture (bert, ...)
  kMmproj,     // vision projector (general.architecture "clip")
  kLora,       // LoRA adapter (general.type "adapter")
  kNotAModel,  // not GGUF, broken, vocabulary only
};

// Where a model came from, as `list` shows it.
enum class Source {
  kDir,       // a default folder (./models, ~/models, ...) or --model-dirs
  kEnv,       // a folder named by SHIMMY_MODEL_PATHS / SHIMMY_BASE_GGUF / SHIMMY_LORA_GGUF
  kHf,        // the Hugging Face hub cache
  kOllama,    // an Ollama store
  kLmStudio,  // LM Studio's folders
};

std::string_view KindName(ModelKind kind);      // "llm", "embedding", "mmproj", "lora", "none"
std::string_view SourceName(Source source);     // "dir", "env", "hf", "ollama", "lmstudio"
ModelKind KindFromName(std::string_view name);  // inverse of KindName; kNotAModel when unknown

// What the GGUF header says (the cacheable part of an entry).
struct ModelFacts {
  ModelKind kind = ModelKind::kNotAModel;
  std::string arch;          // general.architecture
  std::string general_name;  // general.name
  uint64_t n_params = 0;     // elements over all tensors (all shards)
  std::string quant;         // "Q4_K_M" from general.file_type, else the dominant tensor type
  std::optional<uint64_t> context_length;
  std::string base_model;  // adapters: general.base_model.0.name
  std::string problem;     // kNotAModel: why ("not a GGUF file", "broken: ...")
};

// Settings an Ollama manifest carries beside the weights (its params,
// system and template layers), kept verbatim for the layers above.
struct OllamaDefaults {
  std::string params_json;  // the params layer (a JSON object) or ""
  std::string system;
  std::string template_text;  // a Go template, not Jinja
  bool empty() const { return params_json.empty() && system.empty() && template_text.empty(); }
};

struct ModelEntry {
  std::string name;                      // unique in a registry, lowercase
  std::string path;                      // the file to open; the first shard of a split model
  std::vector<std::string> shard_paths;  // every file (one for unsplit models)
  Source source = Source::kDir;
  std::string place;        // the root folder it was found under
  uint64_t size_bytes = 0;  // all shards
  ModelFacts facts;

  // Pairing. On a model: its projector and the adapters that name it as
  // base. On a projector or adapter: the name of the (first) model it serves.
  std::string mmproj;
  std::vector<std::string> loras;
  std::string base;

  OllamaDefaults ollama;             // Ollama entries only
  std::vector<std::string> aliases;  // names from the alias table
};

enum class PlaceKind { kFolder, kFile, kHfCache, kOllama, kLmStudio };
enum class PlaceStatus { kFound, kMissing, kUnreadable, kDuplicate };

std::string_view PlaceStatusName(PlaceStatus status);  // "found", "missing", ...

struct Place {
  std::string label;  // why it is searched: "SHIMMY_MODEL_PATHS", "~/models", "HF_HUB_CACHE", ...
  std::string path;   // absolute
  Source source = Source::kDir;
  PlaceKind kind = PlaceKind::kFolder;
  PlaceStatus status = PlaceStatus::kMissing;
  int max_depth = 5;    // folder levels walked below `path`
  size_t n_models = 0;  // entries found there (any kind)
  std::string detail;   // e.g. the OS error of an unreadable place
};

struct Problem {
  std::string path;
  std::string message;  // "broken: truncated header", "cannot read folder: Permission denied"
};

}  // namespace shimmy::discovery
