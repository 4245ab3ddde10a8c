#include "app/value_json.h"

#include <fmt/format.h>

namespace shimmy::app {
namespace {

nlohmann::json ElementToJson(const gguf::Array& a, size_t i, size_t max_items) {
  using gguf::ValueType;
  switch (a.elem_type) {
    case ValueType::kString: return a.strings[i];
    case ValueType::kArray: return ValueToJson(a.arrays[i], max_items);
    case ValueType::kF32:
    case ValueType::kF64: return a.NumberAt(i);
    case ValueType::kBool: return a.NumberAt(i) != 0;
    case ValueType::kU64: return static_cast<uint64_t>(a.IntAt(i));
    default: return a.IntAt(i);
  }
}

// Valid UTF-8 for the JSON library: bytes that are not are replaced.
std::string Printable(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json ValueToJson(const gguf::Value& value, size_t max_items) {
  using gguf::ValueType;
  switch (value.type()) {
    case ValueType::kString:
      return nlohmann::json::parse(Printable(*value.AsString()));
    case ValueType::kBool: return *value.AsBool();
    case ValueType::kF32:
    case ValueType::kF64: return *value.AsDouble();
    case ValueType::kU8:
    case ValueType::kU16:
    case ValueType::kU32:
    case ValueType::kU64: return *value.AsUint();
    case ValueType::kI8:
    case ValueType::kI16:
    case ValueType::kI32:
    case ValueType::kI64: return *value.AsInt();
    case ValueType::kArray: {
      const gguf::Array& a = *value.AsArray();
      const size_t n = a.size();
      nlohmann::json items = nlohmann::json::array();
      for (size_t i = 0; i < std::min(n, max_items); ++i) {
        nlohmann::json e = ElementToJson(a, i, max_items);
        if (e.is_string()) e = nlohmann::json::parse(Printable(e.get<std::string>()));
        items.push_back(std::move(e));
      }
      if (n <= max_items) return items;
      return {{"type", "array"},
              {"elem_type", std::string(gguf::ValueTypeName(a.elem_type))},
              {"length", n},
              {"head", std::move(items)}};
    }
  }
  return nullptr;
}

std::string ValueToText(const gguf::Value& value, size_t max_chars) {
  if (value.type() == gguf::ValueType::kString) {
    const std::string& s = *value.AsString();
    if (s.size() <= max_chars) return Printable(s);
    return fmt::format("{}... ({} bytes)", Printable(s.substr(0, max_chars)), s.size());
  }
  if (value.type() == gguf::ValueType::kArray) {
    const gguf::Array& a = *value.AsArray();
    std::string out = fmt::format("[{} x {}]", gguf::ValueTypeName(a.elem_type), a.size());
    const nlohmann::json preview = ValueToJson(value, kArrayPreview);
    const nlohmann::json& head = preview.is_array() ? preview : preview["head"];
    std::string items;
    for (const auto& e : head) {
      if (!items.empty()) items += ", ";
      items += e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (items.size() > max_chars) break;
    }
    out += " " + items;
    if (a.size() > head.size()) out += ", ...";
    return out;
  }
  return ValueToJson(value).dump();
}

}  // namespace shimmy::app
