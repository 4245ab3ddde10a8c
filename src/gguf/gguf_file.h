// Reading GGUF files (versions 2 and 3).
//
// GgufFile::Open maps the file and parses its header, metadata and tensor
// directory; tensor data is not read: each TensorInfo points into the
// mapping (zero copy). A split model (NAME-00001-of-0000N.gguf) opens as one:
// metadata comes from the first shard, tensors from all of them.
//
// Every count and length in the file is checked against the bytes that are
// actually there before anything is allocated, so a truncated, corrupt or
// hostile file yields an Error naming the file and the problem, never a
// crash. A GgufFile is immutable after Open and safe to share across threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/huge_page_buffer.h"
#include "base/mapped_file.h"
#include "base/result.h"
#include "gguf/value.h"
#include "tensor/dtype.h"

namespace shimmy::gguf {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint32_t kDefaultAlignment = 32;
constexpr int kMaxDims = 4;

struct TensorInfo {
  std::string name;
  DType type = DType::kF32;
  // ggml order: shape[0] is the innermost (contiguous) dimension.
  std::vector<int64_t> shape;
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  // As the file stores it; type and n_bytes differ when the copy into
  // memory converted the tensor (see CopyTensorsToMemory).
  DType file_type = DType::kF32;
  uint64_t file_n_bytes = 0;
  uint64_t offset = 0;  // relative to its file's data section
  uint32_t shard = 0;   // which file of a split model holds the data
  const std::byte* data = nullptr;

  std::span<const std::byte> bytes() const { return {data, n_bytes}; }
};

// How CopyTensorsToMemory may rewrite a tensor on its way into memory: into
// `type`, taking `n_bytes`, by `convert(src, dst)`. Conversions of different
// tensors run at the same time on different threads.
struct TensorConversion {
  DType type;
  uint64_t n_bytes;
  std::function<void(const std::byte* src, std::byte* dst)> convert;
};
// Returns the conversion for a tensor, or nullopt to copy it as is.
using TensorConverter = std::function<std::optional<TensorConversion>(const TensorInfo&)>;

struct KeyValue {
  std::string key;
  Value value;
};

class GgufFile {
 public:
  // Opens `path`. A path that names a shard of a split model opens the whole
  // model (every shard must be present beside it).
  static Result<GgufFile> Open(const std::string& path);
  // Opens exactly one file, even when it is a shard.
  static Result<GgufFile> OpenSingle(const std::string& path);

  GgufFile(GgufFile&&) = default;
  GgufFile& operator=(GgufFile&&) = default;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  // Where the tensor data section of the (first) file begins.
  uint64_t data_offset() const { return data_offset_; }
  size_t n_shards() const { return files_.size(); }
  const std::vector<std::string>& shard_paths() const { return shard_paths_; }
  // Total bytes of all files.
  uint64_t file_size() const;

  // Metadata in file order.
  const std::vector<KeyValue>& metadata() const { return metadata_; }
  const Value* Find(std::string_view key) const;

  // Typed look-ups; nullopt when absent or of an incompatible type.
  std::optional<std::string> GetString(std::string_view key) const;
  std::optional<uint64_t> GetUint(std::string_view key) const;
  std::optional<int64_t> GetInt(std::string_view key) const;
  std::optional<double> GetFloat(std::string_view key) const;
  std::optional<bool> GetBool(std::string_view key) const;
  const Array* GetArray(std::string_view key) const;

  // Forgets these metadata entries (absent afterwards) and frees their
  // memory: for a loaded model's vocabulary arrays, which the tokenizer has
  // copied and which would otherwise stay resident (13 MB for a 128k
  // vocabulary with its merges).
  void DropMetadata(std::span<const std::string_view> keys);

  // general.architecture, or "" when absent.
  std::string architecture() const;
  // Looks up "<arch>.<suffix>", e.g. ArchUint("context_length").
  std::optional<uint64_t> ArchUint(std::string_view suffix) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  // Copies every tensor's data into one anonymous buffer advised for
  // transparent huge pages (see base/huge_page_buffer.h for why) and points
  // the tensors there; the file's mapped pages are released. Each tensor
  // keeps the file's alignment. Tensors `convert` names are rewritten
  // instead (their type and n_bytes change). Tensors are copied by up to 8
  // threads (one per CPU). Returns the bytes of the copy.
  Result<size_t> CopyTensorsToMemory(const TensorConverter& convert = {});
  // The copy's bytes that the kernel backs with huge pages (0 if not copied).
  size_t TensorHugePageBytes() const { return tensor_memory_.HugeBytes(); }
  bool tensors_copied() const { return tensor_memory_.data() != nullptr; }
  const TensorInfo* FindTensor(std::string_view name) const;

 private:
  GgufFile() = default;

  std::string path_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<MappedFile> files_;
  std::vector<std::string> shard_paths_;
  std::vector<KeyValue> metadata_;
  std::unordered_map<std::string, size_t> key_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
  HugePageBuffer tensor_memory_;
  size_t tensor_copy_bytes_ = 0;

  friend class Parser;
};

// If `path` names a shard ("...-00002-of-00005.gguf"), returns the paths of
// all its shards in order; nullopt otherwise.
std::optional<std::vector<std::string>> SplitShardPaths(const std::string& path);

}  // namespace shimmy::gguf
