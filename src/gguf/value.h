// GGUF metadata values. Values own their data (strings are copied out of the
// mapping) so they can be built by the writer as well as read. Numeric arrays
// are stored packed in their file type, so memory stays proportional to the
// file's own bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace shimmy::gguf {

// Value type ids as stored in GGUF files.
enum class ValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

std::string_view ValueTypeName(ValueType type);
bool IsValidValueType(uint32_t id);
// Bytes of one element of a fixed-size type; 0 for string and array.
size_t FixedSize(ValueType type);

class Value;

// A homogeneous array. Fixed-size elements are packed little-endian in
// `packed`; strings in `strings`; nested arrays in `arrays`.
struct Array {
  ValueType elem_type = ValueType::kU8;
  std::vector<std::byte> packed;
  std::vector<std::string> strings;
  std::vector<Value> arrays;

  size_t size() const;

  // Element `i` converted to a number / bool; meaningful for fixed types.
  double NumberAt(size_t i) const;
  int64_t IntAt(size_t i) const;

  // A typed view of the packed elements when T matches elem_type exactly
  // (e.g. float for kF32, int32_t for kI32); empty otherwise.
  template <class T>
  std::span<const T> As() const;
};

class Value {
 public:
  Value() = default;

  static Value U8(uint8_t v) { return Value(ValueType::kU8, uint64_t{v}); }
  static Value I8(int8_t v) { return Value(ValueType::kI8, int64_t{v}); }
  static Value U16(uint16_t v) { return Value(ValueType::kU16, uint64_t{v}); }
  static Value I16(int16_t v) { return Value(ValueType::kI16, int64_t{v}); }
  static Value U32(uint32_t v) { return Value(ValueType::kU32, uint64_t{v}); }
  static Value I32(int32_t v) { return Value(ValueType::kI32, int64_t{v}); }
  static Value U64(uint64_t v) { return Value(ValueType::kU64, v); }
  static Value I64(int64_t v) { return Value(ValueType::kI64, v); }
  static Value F32(float v) { return Value(ValueType::kF32, double{v}); }
  static Value F64(double v) { return Value(ValueType::kF64, v); }
  static Value Bool(bool v) { return Value(ValueType::kBool, v); }
  static Value String(std::string v) { return Value(ValueType::kString, std::move(v)); }
  static Value OfArray(Array a) {
    return Value(ValueType::kArray, std::make_shared<const Array>(std::move(a)));
  }
  static Value StringArray(std::vector<std::string> v);
  static Value F32Array(std::span<const float> v);
  static Value I32Array(std::span<const int32_t> v);

  ValueType type() const { return type_; }
  bool is_integer() const;
  bool is_number() const;  // integer or float

  // Conversions; nullopt when the type does not fit or the value is out of range.
  std::optional<uint64_t> AsUint() const;
  std::optional<int64_t> AsInt() const;
  std::optional<double> AsDouble() const;
  std::optional<bool> AsBool() const;
  const std::string* AsString() const { return std::get_if<std::string>(&v_); }
  const Array* AsArray() const;

 private:
  using Storage = std::variant<std::monostate, uint64_t, int64_t, double, bool,
                               std::string, std::shared_ptr<const Array>>;
  Value(ValueType type, Storage v) : type_(type), v_(std::move(v)) {}

  ValueType type_ = ValueType::kU8;
  Storage v_;
};

template <class T>
std::span<const T> Array::As() const {
  constexpr auto expected = [] {
    if constexpr (std::is_same_v<T, uint8_t>) return ValueType::kU8;
    else if constexpr (std::is_same_v<T, int8_t>) return ValueType::kI8;
    else if constexpr (std::is_same_v<T, uint16_t>) return ValueType::kU16;
    else if constexpr (std::is_same_v<T, int16_t>) return ValueType::kI16;
    else if constexpr (std::is_same_v<T, uint32_t>) return ValueType::kU32;
    else if constexpr (std::is_same_v<T, int32_t>) return ValueType::kI32;
    else if constexpr (std::is_same_v<T, uint64_t>) return ValueType::kU64;
    else if constexpr (std::is_same_v<T, int64_t>) return ValueType::kI64;
    else if constexpr (std::is_same_v<T, float>) return ValueType::kF32;
    else if constexpr (std::is_same_v<T, double>) return ValueType::kF64;
    else static_assert(sizeof(T) == 0, "unsupported element type");
  }();
  if (elem_type != expected) return {};
  // `packed` comes from operator new, which is aligned for every scalar.
  return {reinterpret_cast<const T*>(packed.data()), packed.size() / sizeof(T)};
}

}  // namespace shimmy::gguf
