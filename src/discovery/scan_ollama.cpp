// Ollama stores:
//   ROOT/manifests/HOST/NAMESPACE/MODEL/TAG   a JSON manifest
//   ROOT/blobs/sha256-HEX                     its layers, by digest
// The layer of media type application/vnd.ollama.image.model is the GGUF;
// projector and adapter layers pair with it; params, system and template
// layers are kept as the model's defaults. Blobs are never hashed (that
// would read whole models); digests are only checked for shape, so a
// manifest cannot point outside blobs/.
#include <nlohmann/json.hpp>
#include <regex>

#include "discovery/naming.h"
#include "discovery/scanners.h"

namespace shimmy::discovery {
namespace {

constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr size_t kMaxTextLayerBytes = 1 << 20;
constexpr std::string_view kMediaPrefix = "application/vnd.ollama.image.";

// "sha256:HEX" -> ROOT/blobs/sha256-HEX, or "" for a malformed digest.
std::string BlobPath(const std::string& root, const std::string& digest) {
  static const std::regex kDigest(R"(^sha256[:-][0-9a-f]{64}$)");
  if (!std::regex_match(digest, kDigest)) return "";
  return root + "/blobs/sha256-" + digest.substr(7);
}

std::vector<std::string> Visible(const std::string& folder) {
  std::vector<std::string> out;
  if (auto names = ListFolder(folder)) {
    for (std::string& n : *names) {
      if (!n.starts_with(".")) out.push_back(std::move(n));
    }
  }
  return out;
}

void ReadManifest(const std::string& root, const std::string& manifest, std::string name,
                  size_t place_index, ScanOutput& out) {
  auto text = ReadSmallFile(manifest, kMaxManifestBytes);
  if (!text) {
    out.problems.push_back({manifest, "cannot read manifest: " + text.error().message()});
    return;
  }
  Candidate c;
  c.place = place_index;
  c.group = manifest;
  c.explicit_name = std::move(name);
  std::string model_blob;
  try {
    const nlohmann::json j = nlohmann::json::parse(*text);
    for (const auto& layer : j.at("layers")) {
      const std::string media = layer.at("mediaType").get<std::string>();
      if (!media.starts_with(kMediaPrefix)) continue;
      const std::string kind = media.substr(kMediaPrefix.size());
      const std::string blob = BlobPath(root, layer.at("digest").get<std::string>());
      if (blob.empty()) {
        out.problems.push_back({manifest, "malformed digest in a " + kind + " layer"});
        return;
      }
      if (kind == "model") {
        model_blob = blob;
      } else if (kind == "projector") {
        c.ollama_projector = blob;
      } else if (kind == "adapter") {
        c.ollama_adapters.push_back(blob);
      } else if (kind == "params" || kind == "system" || kind == "template") {
        auto body = ReadSmallFile(blob, kMaxTextLayerBytes);
        if (!body) {
          out.problems.push_back({manifest, kind + " layer: " + body.error().message()});
          continue;
        }
        (kind == "params"   ? c.ollama.params_json
         : kind == "system" ? c.ollama.system
                            : c.ollama.template_text) = *body;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    out.problems.push_back({manifest, std::string("malformed manifest: ") + e.what()});
    return;
  }
  if (model_blob.empty()) {
    out.problems.push_back({manifest, "manifest has no model layer"});
    return;
  }
  auto st = StatFile(model_blob);
  if (!st) {
    out.problems.push_back({manifest, "model blob missing: " + model_blob});
    return;
  }
  c.shards.push_back(*st);
  out.candidates.push_back(std::move(c));
}

}  // namespace

ScanOutput ScanOllama(const Place& place, size_t place_index) {
  ScanOutput out;
  if (!IsDirectory(place.path)) {
    out.status = PlaceStatus::kMissing;
    return out;
  }
  const std::string manifests = place.path + "/manifests";
  auto hosts = ListFolder(manifests);
  if (!hosts) {
    out.status = IsDirectory(manifests) ? PlaceStatus::kUnreadable : PlaceStatus::kFound;
    if (IsDirectory(manifests)) out.detail = hosts.error().message();
    return out;
  }
  out.status = PlaceStatus::kFound;
  for (const std::string& host : Visible(manifests)) {
    for (const std::string& ns : Visible(manifests + "/" + host)) {
      for (const std::string& model : Visible(manifests + "/" + host + "/" + ns)) {
        const std::string dir = manifests + "/" + host + "/" + ns + "/" + model;
        for (const std::string& tag : Visible(dir)) {
          const std::string manifest = dir + "/" + tag;
          if (!StatFile(manifest)) continue;
          ReadManifest(place.path, manifest, OllamaName(host, ns, model, tag), place_index, out);
        }
      }
    }
  }
  return out;
}

}  // namespace shimmy::discovery
