#include "discovery/naming.h"

#include <regex>
#include <unordered_set>

namespace shimmy::discovery {
namespace {

const std::regex& QuantSuffix() {
  static const std::regex kRe(
      R"(^(.*?)[-._]((?:ud-)?(?:i?q[1-8](?:_[a-z0-9]+)*|tq[12]_0|mxfp4(?:_moe)?|bf16|fp16|fp32|f16|f32|f64))$)");
  return kRe;
}

const std::regex& QuantOnly() {
  static const std::regex kRe(
      R"(^(?:ud-)?(?:i?q[1-8](?:_[a-z0-9]+)*|tq[12]_0|mxfp4(?:_moe)?|bf16|fp16|fp32|f16|f32|f64)$)");
  return kRe;
}

const std::regex& ShardSuffix() {
  static const std::regex kRe(R"(-\d{5}-of-\d{5}$)");
  return kRe;
}

bool IsGenericStem(const std::string& model) {
  return model.empty() || model == "model" || model == "ggml-model" || model == "ggml" ||
         model == "weights";
}

}  // namespace

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string SanitizeName(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : ToLower(text)) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    const char d = ok ? c : '-';
    if (d == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(d);
  }
  const size_t begin = out.find_first_not_of("-.");
  if (begin == std::string::npos) return "";
  const size_t end = out.find_last_not_of("-.");
  return out.substr(begin, end - begin + 1);
}

std::string RepoBaseName(std::string_view repo) {
  std::string name = ToLower(repo);
  for (std::string_view suffix : {"-gguf", "_gguf", ".gguf"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      name.resize(name.size() - suffix.size());
      break;
    }
  }
  return SanitizeName(name);
}

NameParts NameFromFile(std::string_view file_name, std::string_view fallback) {
  std::string stem = ToLower(file_name);
  if (stem.ends_with(".gguf")) stem.resize(stem.size() - 5);
  stem = std::regex_replace(stem, ShardSuffix(), "");

  NameParts parts;
  std::smatch m;
  if (std::regex_match(stem, QuantOnly())) {
    parts.tag = stem;
  } else if (std::regex_match(stem, m, QuantSuffix())) {
    parts.model = m[1].str();
    parts.tag = m[2].str();
  } else {
    parts.model = stem;
  }
  parts.model = SanitizeName(parts.model);
  parts.tag = SanitizeName(parts.tag);

  const std::string base = SanitizeName(fallback);
  bool projector = false;
  std::string core = parts.model;
  if (core.starts_with("mmproj")) {
    projector = true;
    core = SanitizeName(core.substr(6));
  }
  if (IsGenericStem(core) && !base.empty()) {
    parts.model = projector ? base + "-mmproj" : base;
  }
  if (parts.model.empty()) parts.model = "model";
  return parts;
}

std::string JoinName(const NameParts& parts) {
  return parts.tag.empty() ? parts.model : parts.model + ":" + parts.tag;
}

std::string OllamaName(std::string_view host, std::string_view name_space, std::string_view model,
                       std::string_view tag) {
  std::string name;
  const std::string h = ToLower(host);
  const std::string ns = ToLower(name_space);
  if (h != "registry.ollama.ai") {
    name = h + "/" + ns + "/";
  } else if (ns != "library") {
    name = ns + "/";
  }
  return name + ToLower(model) + ":" + ToLower(tag);
}

std::vector<std::string> MakeUnique(const std::vector<std::string>& wanted) {
  std::unordered_set<std::string> taken;
  std::vector<std::string> out;
  out.reserve(wanted.size());
  for (const std::string& name : wanted) {
    std::string candidate = name;
    if (taken.count(candidate) != 0) {
      const size_t colon = name.rfind(':');
      const size_t slash = name.rfind('/');
      const bool has_tag =
          colon != std::string::npos && (slash == std::string::npos || colon > slash);
      const std::string model = has_tag ? name.substr(0, colon) : name;
      const std::string tag = has_tag ? name.substr(colon) : "";
      for (int n = 2; taken.count(candidate) != 0; ++n) {
        candidate = model + "-" + std::to_string(n) + tag;
      }
    }
    taken.insert(candidate);
    out.push_back(std::move(candidate));
  }
  return out;
}

}  // namespace shimmy::discovery
