// Writing GGUF v3 files: for tests and tools that build models, LoRA adapters
// and split models. Not used on the serving path.
//
//   GgufWriter w;
//   w.Set("general.architecture", Value::String("llama"));
//   w.AddTensor("token_embd.weight", DType::kF32, {64, 512}, bytes);
//   if (auto st = w.Write("model.gguf"); !st) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "gguf/gguf_file.h"
#include "gguf/value.h"
#include "tensor/dtype.h"

namespace shimmy::gguf {

class GgufWriter {
 public:
  // Sets a metadata value; a key set twice keeps its first position.
  void Set(const std::string& key, Value value);
  // Copies every metadata entry of `file` (e.g. a real vocabulary).
  void CopyMetadata(const GgufFile& file, std::string_view key_prefix = "");

  // Adds a tensor; `data` must hold exactly the bytes its type and shape
  // need (checked in Write). The writer keeps its own copy.
  void AddTensor(std::string name, DType type, std::vector<int64_t> shape,
                 std::span<const std::byte> data);

  void set_alignment(uint32_t alignment) { alignment_ = alignment; }

  // The whole file in memory.
  Result<std::vector<std::byte>> Serialize() const;
  Status Write(const std::string& path) const;
  // Writes the tensors over `n_shards` files PREFIX-0000i-of-0000N.gguf (the
  // metadata goes in the first); returns their paths.
  Result<std::vector<std::string>> WriteSplit(const std::string& prefix, size_t n_shards) const;

 private:
  struct PendingTensor {
    std::string name;
    DType type;
    std::vector<int64_t> shape;
    std::vector<std::byte> data;
  };
  Result<std::vector<std::byte>> SerializeParts(const std::vector<KeyValue>& metadata,
                                                const std::vector<const PendingTensor*>& tensors)
      const;

  std::vector<KeyValue> metadata_;
  std::vector<PendingTensor> tensors_;
  uint32_t alignment_ = kDefaultAlignment;
};

// Writes `bytes` to `path` (truncating).
Status WriteBytes(const std::string& path, std::span<const std::byte> bytes);

}  // namespace shimmy::gguf
