// Model listings in Ollama's shapes: /api/tags entries, /api/ps entries and
// the /api/show answer. Pure apart from stat() on model files (cheap; no
// file is read here: /api/show's caller opens the GGUF).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "chat/reasoning.h"
#include "server/api_ollama.h"

namespace shimmy::server::ollama {
namespace {

namespace fs = std::filesystem;

// Arrays longer than this are null in model_info unless verbose (vocabulary
// tokens, merges and scores would make the answer megabytes).
constexpr size_t kMaxInlineArray = 16;

// What /api/ps shows for a model kept forever.
constexpr std::string_view kForever = "9999-12-31T23:59:59Z";

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

OJson ScalarJson(const gguf::Value& v) {
  using gguf::ValueType;
  switch (v.type()) {
    case ValueType::kString:
      return *v.AsString();
    case ValueType::kBool:
      return v.AsBool().value_or(false);
    case ValueType::kF32:
      return FloatJson(static_cast<float>(v.AsDouble().value_or(0)));
    case ValueType::kF64:
      return v.AsDouble().value_or(0);
    case ValueType::kU64:
      return v.AsUint().value_or(0);
    default:
      if (v.is_integer()) return v.AsInt().value_or(0);
      return nullptr;
  }
}

OJson ArrayJson(const gguf::Array& a) {
  using gguf::ValueType;
  OJson out = OJson::array();
  for (size_t i = 0; i < a.size(); ++i) {
    switch (a.elem_type) {
      case ValueType::kString:
        out.push_back(a.strings[i]);
        break;
      case ValueType::kArray:
        out.push_back(nullptr);  // nested arrays: nothing in practice uses them
        break;
      case ValueType::kF32:
        out.push_back(FloatJson(static_cast<float>(a.NumberAt(i))));
        break;
      case ValueType::kF64:
        out.push_back(a.NumberAt(i));
        break;
      case ValueType::kBool:
        out.push_back(a.IntAt(i) != 0);
        break;
      default:
        out.push_back(a.IntAt(i));
    }
  }
  return out;
}

// A Modelfile parameter value: strings quoted, numbers and booleans bare.
std::string QuoteParam(const OJson& v) { return v.is_null() ? "" : Dump(v); }

}  // namespace

std::string ParameterSize(uint64_t n) {
  char buf[32];
  auto whole = [](double x) { return x == std::floor(x); };
  if (n >= 1'000'000'000) {
    const double b = n / 1e9;
    std::snprintf(buf, sizeof buf, whole(b) ? "%.0fB" : "%.1fB", b);
  } else if (n >= 1'000'000) {
    const double m = n / 1e6;
    std::snprintf(buf, sizeof buf, whole(m) ? "%.0fM" : "%.2fM", m);
  } else if (n >= 1'000) {
    std::snprintf(buf, sizeof buf, "%.0fK", n / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  }
  return buf;
}

Clock::time_point ModifiedTime(const discovery::ModelEntry& entry) {
  std::error_code ec;
  const auto t = fs::last_write_time(entry.path, ec);
  if (ec) return Clock::time_point{};
  return std::chrono::time_point_cast<Clock::duration>(std::chrono::file_clock::to_sys(t));
}

std::string ModelDigest(const discovery::ModelEntry& entry) {
  const std::string file = fs::path(entry.path).filename().string();
  if (file.starts_with("sha256-") && IsHex64(std::string_view(file).substr(7))) {
    return file.substr(7);  // an Ollama blob is named by its own digest
  }
  // Not the file's content hash (see api_ollama.h): identity + size + mtime.
  const auto mtime = ModifiedTime(entry).time_since_epoch();
  std::string key = entry.path;
  key += '\0';
  key += std::to_string(entry.size_bytes);
  key += '\0';
  key += std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count());
  return Sha256Hex(key);
}

OJson DetailsJson(const discovery::ModelEntry& entry) {
  const std::string& arch = entry.facts.arch;
  return {{"parent_model", ""},
          {"format", "gguf"},
          {"family", arch},
          {"families", arch.empty() ? OJson(nullptr) : OJson::array({arch})},
          {"parameter_size", ParameterSize(entry.facts.n_params)},
          {"quantization_level", entry.facts.quant}};
}

OJson TagsEntry(const discovery::ModelEntry& entry) {
  return {{"name", entry.name},
          {"model", entry.name},
          {"modified_at", Rfc3339(ModifiedTime(entry))},
          {"size", entry.size_bytes},
          {"digest", ModelDigest(entry)},
          {"details", DetailsJson(entry)}};
}

OJson TagsJson(const discovery::Registry& registry) {
  OJson models = OJson::array();
  for (const discovery::ModelEntry& e : registry.models()) {
    if (e.facts.kind == discovery::ModelKind::kLlm ||
        e.facts.kind == discovery::ModelKind::kEmbedding) {
      models.push_back(TagsEntry(e));
    }
  }
  return {{"models", std::move(models)}};
}

OJson PsEntry(const runtime::ResidentInfo& info, const discovery::ModelEntry* entry,
              Clock::time_point now) {
  OJson out = {{"name", info.name}, {"model", info.name}, {"size", info.size_bytes}};
  out["digest"] = entry ? ModelDigest(*entry) : "";
  out["details"] = entry ? DetailsJson(*entry) : OJson::object();
  // While a request holds the model its countdown has not started: the pool's
  // time (or now) is the best there is.
  out["expires_at"] =
      info.forever ? std::string(kForever) : Rfc3339(std::max(info.expires_at, now));
  out["size_vram"] = 0;
  return out;
}

OJson ModelInfoJson(const gguf::GgufFile& file, uint64_t n_params, bool verbose) {
  // Sorted by key, as Ollama's (Go map) answer is.
  std::vector<std::pair<std::string, OJson>> kv;
  bool has_count = false;
  for (const gguf::KeyValue& entry : file.metadata()) {
    has_count |= entry.key == "general.parameter_count";
    if (entry.value.type() == gguf::ValueType::kArray) {
      const gguf::Array* a = entry.value.AsArray();
      const bool inline_ok = a != nullptr && (verbose || a->size() <= kMaxInlineArray);
      kv.emplace_back(entry.key, inline_ok ? ArrayJson(*a) : OJson(nullptr));
    } else {
      kv.emplace_back(entry.key, ScalarJson(entry.value));
    }
  }
  if (!has_count) kv.emplace_back("general.parameter_count", n_params);
  std::sort(kv.begin(), kv.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  OJson out = OJson::object();
  for (auto& [k, v] : kv) out[k] = std::move(v);
  return out;
}

OJson Capabilities(const discovery::ModelEntry& entry, std::string_view tmpl) {
  if (entry.facts.kind == discovery::ModelKind::kEmbedding) return OJson::array({"embedding"});
  OJson caps = OJson::array({"completion"});
  // Jinja templates loop over `tools`; Ollama's Go templates read `.Tools`.
  if (tmpl.find("tools") != std::string_view::npos ||
      tmpl.find(".Tools") != std::string_view::npos) {
    caps.push_back("tools");
  }
  if (chat::DetectReasoningTags(tmpl).has_value() ||
      tmpl.find(".Thinking") != std::string_view::npos) {
    caps.push_back("thinking");
  }
  return caps;
}

std::string ParametersText(std::string_view params_json) {
  const OJson params = OJson::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (!params.is_object()) return "";
  std::string out;
  auto line = [&](const std::string& key, const OJson& v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%-30s ", key.c_str());
    if (!out.empty()) out += '\n';
    out += buf;
    out += QuoteParam(v);
  };
  for (const auto& [key, value] : params.items()) {
    if (value.is_array()) {
      for (const OJson& v : value) line(key, v);
    } else {
      line(key, value);
    }
  }
  return out;
}

OJson ShowJson(const discovery::ModelEntry& entry, const gguf::GgufFile& file, bool verbose) {
  std::string tmpl = entry.ollama.template_text;
  if (tmpl.empty()) tmpl = file.GetString("tokenizer.chat_template").value_or("");
  const std::string parameters = ParametersText(entry.ollama.params_json);

  std::string modelfile = "# Modelfile generated by shimmy\nFROM " + entry.path + "\n";
  if (!tmpl.empty()) modelfile += "TEMPLATE \"\"\"" + tmpl + "\"\"\"\n";
  if (!entry.ollama.system.empty()) modelfile += "SYSTEM \"\"\"" + entry.ollama.system + "\"\"\"\n";
  const OJson params = OJson::parse(entry.ollama.params_json, nullptr, false);
  if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      for (const OJson& v : value.is_array() ? value : OJson::array({value})) {
        modelfile += "PARAMETER " + key + " " + QuoteParam(v) + "\n";
      }
    }
  }

  OJson out = {{"modelfile", modelfile}, {"parameters", parameters}, {"template", tmpl}};
  if (!entry.ollama.system.empty()) out["system"] = entry.ollama.system;
  out["details"] = DetailsJson(entry);
  out["model_info"] = ModelInfoJson(file, entry.facts.n_params, verbose);
  out["capabilities"] = Capabilities(entry, tmpl);
  out["modified_at"] = Rfc3339(ModifiedTime(entry));
  return out;
}

}  // namespace shimmy::server::ollama
