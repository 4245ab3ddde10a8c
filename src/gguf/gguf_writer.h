// Writing GGUF v3 files: for tests and tools that build models, LoRA adapters
// and split models. Not used on the serving path.
//
//   GgufWriter w;
//   w.Set("general.architecture", Value::String("llama"));
//   w.AddTensor("token_embd.weight", DType::kF32, {64, 512}, bytes);
//   if (auto st = w.Write("model.gguf"); !st) ...
//
// GgufWriter keeps a copy of every tensor. For models too large to hold
// twice, GgufStreamWriter (below) writes the header first and then takes
// the tensor bytes piece by piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
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
  uint32_t alignment() const { return alignment_; }
  const std::vector<KeyValue>& metadata() const { return metadata_; }

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

// A tensor declared before its data exists.
struct TensorDecl {
  std::string name;
  DType type = DType::kF32;
  std::vector<int64_t> shape;  // ggml order
};

// Streams a GGUF file to disk: Open writes the header (metadata of a
// GgufWriter, whose own tensors are ignored, plus the directory of
// `tensors`); Append then takes each tensor's bytes in declaration order, in
// pieces of any size; Finish checks that every tensor got exactly its bytes.
// Memory use is the caller's pieces only.
//
//   auto out = GgufStreamWriter::Open("big.gguf", meta, {{"a", DType::kQ4_K, {4096, 4096}}});
//   for (...) if (auto st = (*out)->Append(piece); !st) ...
//   if (auto st = (*out)->Finish(); !st) ...
//
// Not thread-safe. A writer destroyed before a successful Finish removes its
// (incomplete) file, so a failed generation leaves nothing behind.
class GgufStreamWriter {
 public:
  static Result<std::unique_ptr<GgufStreamWriter>> Open(const std::string& path,
                                                         const GgufWriter& metadata,
                                                         std::vector<TensorDecl> tensors);
  ~GgufStreamWriter();
  GgufStreamWriter(const GgufStreamWriter&) = delete;
  GgufStreamWriter& operator=(const GgufStreamWriter&) = delete;

  // Appends bytes to the current tensor, moving on to the next one when it is
  // full. Errors if more bytes arrive than the declared tensors hold.
  Status Append(std::span<const std::byte> bytes);
  Status Finish();

  size_t n_tensors() const { return tensors_.size(); }
  // Bytes tensor `i` needs (its type and shape).
  uint64_t tensor_bytes(size_t i) const { return sizes_[i]; }
  // Bytes written so far, header and padding included.
  uint64_t bytes_written() const { return written_; }

 private:
  GgufStreamWriter() = default;
  Status Put(const void* p, size_t n);
  Status PadTo(uint32_t alignment);
  void SkipEmpty();  // moves the cursor past tensors of zero bytes

  std::string path_;
  std::FILE* file_ = nullptr;
  uint32_t alignment_ = kDefaultAlignment;
  std::vector<TensorDecl> tensors_;
  std::vector<uint64_t> sizes_;
  size_t current_ = 0;         // tensor being filled
  uint64_t current_fill_ = 0;  // its bytes so far
  uint64_t written_ = 0;
  bool finished_ = false;
};

// Writes `bytes` to `path` (truncating).
Status WriteBytes(const std::string& path, std::span<const std::byte> bytes);

}  // namespace shimmy::gguf
