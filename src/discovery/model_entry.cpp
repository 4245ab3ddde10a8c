#include "discovery/model_entry.h"

namespace shimmy::discovery {

std::string_view KindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kLlm:
      return "llm";
    case ModelKind::kEmbedding:
      return "embedding";
    case ModelKind::kMmproj:
      return "mmproj";
    case ModelKind::kLora:
      return "lora";
    case ModelKind::kNotAModel:
      return "none";
  }
  return "none";
}

ModelKind KindFromName(std::string_view name) {
  for (ModelKind k :
       {ModelKind::kLlm, ModelKind::kEmbedding, ModelKind::kMmproj, ModelKind::kLora}) {
    if (KindName(k) == name) return k;
  }
  return ModelKind::kNotAModel;
}

std::string_view SourceName(Source source) {
  switch (source) {
    case Source::kDir:
      return "dir";
    case Source::kEnv:
      return "env";
    case Source::kHf:
      return "hf";
    case Source::kOllama:
      return "ollama";
    case Source::kLmStudio:
      return "lmstudio";
  }
  return "dir";
}

std::string_view PlaceStatusName(PlaceStatus status) {
  switch (status) {
    case PlaceStatus::kFound:
      return "found";
    case PlaceStatus::kMissing:
      return "missing";
    case PlaceStatus::kUnreadable:
      return "unreadable";
    case PlaceStatus::kDuplicate:
      return "duplicate";
  }
  return "missing";
}

}  // namespace shimmy::discovery
