#include "gguf/value.h"

#include <limits>

namespace shimmy::gguf {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kU8: return "u8";
    case ValueType::kI8: return "i8";
    case ValueType::kU16: return "u16";
    case ValueType::kI16: return "i16";
    case ValueType::kU32: return "u32";
    case ValueType::kI32: return "i32";
    case ValueType::kF32: return "f32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kU64: return "u64";
    case ValueType::kI64: return "i64";
    case ValueType::kF64: return "f64";
  }
  return "?";
}

bool IsValidValueType(uint32_t id) { return id <= 12; }

size_t FixedSize(ValueType type) {
  switch (type) {
    case ValueType::kU8:
    case ValueType::kI8:
    case ValueType::kBool: return 1;
    case ValueType::kU16:
    case ValueType::kI16: return 2;
    case ValueType::kU32:
    case ValueType::kI32:
    case ValueType::kF32: return 4;
    case ValueType::kU64:
    case ValueType::kI64:
    case ValueType::kF64: return 8;
    case ValueType::kString:
    case ValueType::kArray: return 0;
  }
  return 0;
}

size_t Array::size() const {
  if (elem_type == ValueType::kString) return strings.size();
  if (elem_type == ValueType::kArray) return arrays.size();
  const size_t w = FixedSize(elem_type);
  return w == 0 ? 0 : packed.size() / w;
}

namespace {
template <class T>
T Load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
}  // namespace

double Array::NumberAt(size_t i) const {
  const std::byte* p = packed.data() + i * FixedSize(elem_type);
  switch (elem_type) {
    case ValueType::kU8: return Load<uint8_t>(p);
    case ValueType::kI8: return Load<int8_t>(p);
    case ValueType::kU16: return Load<uint16_t>(p);
    case ValueType::kI16: return Load<int16_t>(p);
    case ValueType::kU32: return Load<uint32_t>(p);
    case ValueType::kI32: return Load<int32_t>(p);
    case ValueType::kF32: return Load<float>(p);
    case ValueType::kBool: return Load<uint8_t>(p) != 0;
    case ValueType::kU64: return static_cast<double>(Load<uint64_t>(p));
    case ValueType::kI64: return static_cast<double>(Load<int64_t>(p));
    case ValueType::kF64: return Load<double>(p);
    default: return 0;
  }
}

int64_t Array::IntAt(size_t i) const {
  const std::byte* p = packed.data() + i * FixedSize(elem_type);
  switch (elem_type) {
    case ValueType::kU64: return static_cast<int64_t>(Load<uint64_t>(p));
    case ValueType::kI64: return Load<int64_t>(p);
    case ValueType::kF32:
    case ValueType::kF64: return static_cast<int64_t>(NumberAt(i));
    default: return static_cast<int64_t>(NumberAt(i));
  }
}

Value Value::StringArray(std::vector<std::string> v) {
  Array a;
  a.elem_type = ValueType::kString;
  a.strings = std::move(v);
  return OfArray(std::move(a));
}

template <class T>
static Array PackedArray(ValueType type, std::span<const T> v) {
  Array a;
  a.elem_type = type;
  a.packed.resize(v.size_bytes());
  if (!v.empty()) std::memcpy(a.packed.data(), v.data(), v.size_bytes());
  return a;
}

Value Value::F32Array(std::span<const float> v) {
  return OfArray(PackedArray(ValueType::kF32, v));
}

Value Value::I32Array(std::span<const int32_t> v) {
  return OfArray(PackedArray(ValueType::kI32, v));
}

bool Value::is_integer() const {
  return std::holds_alternative<uint64_t>(v_) || std::holds_alternative<int64_t>(v_);
}

bool Value::is_number() const { return is_integer() || std::holds_alternative<double>(v_); }

std::optional<uint64_t> Value::AsUint() const {
  if (const auto* u = std::get_if<uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v_)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
  }
  return std::nullopt;
}

std::optional<int64_t> Value::AsInt() const {
  if (const auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v_)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
  }
  return std::nullopt;
}

std::optional<double> Value::AsDouble() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&v_)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> Value::AsBool() const {
  if (const auto* b = std::get_if<bool>(&v_)) return *b;
  return std::nullopt;
}

const Array* Value::AsArray() const {
  if (const auto* a = std::get_if<std::shared_ptr<const Array>>(&v_)) return a->get();
  return nullptr;
}

}  // namespace shimmy::gguf
