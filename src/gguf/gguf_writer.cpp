#include "gguf/gguf_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

namespace shimmy::gguf {
namespace {

class Buffer {
 public:
  template <class T>
  void Put(T v) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &v, sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    PutRaw(s.data(), s.size());
  }
  void PutRaw(const void* p, size_t n) {
    const size_t at = bytes_.size();
    bytes_.resize(at + n);
    if (n > 0) std::memcpy(bytes_.data() + at, p, n);
  }
  void PadTo(uint32_t alignment) {
    bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, std::byte{0});
  }
  size_t size() const { return bytes_.size(); }
  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  std::vector<std::byte> bytes_;
};

void PutValue(Buffer& b, const Value& v);

void PutArray(Buffer& b, const Array& a) {
  b.Put<uint32_t>(static_cast<uint32_t>(a.elem_type));
  b.Put<uint64_t>(a.size());
  if (a.elem_type == ValueType::kString) {
    for (const auto& s : a.strings) b.PutString(s);
  } else if (a.elem_type == ValueType::kArray) {
    for (const auto& v : a.arrays) PutValue(b, v);  // nested: type implied
  } else {
    b.PutRaw(a.packed.data(), a.packed.size());
  }
}

void PutValue(Buffer& b, const Value& v) {
  switch (v.type()) {
    case ValueType::kU8: b.Put<uint8_t>(static_cast<uint8_t>(*v.AsUint())); break;
    case ValueType::kI8: b.Put<int8_t>(static_cast<int8_t>(*v.AsInt())); break;
    case ValueType::kU16: b.Put<uint16_t>(static_cast<uint16_t>(*v.AsUint())); break;
    case ValueType::kI16: b.Put<int16_t>(static_cast<int16_t>(*v.AsInt())); break;
    case ValueType::kU32: b.Put<uint32_t>(static_cast<uint32_t>(*v.AsUint())); break;
    case ValueType::kI32: b.Put<int32_t>(static_cast<int32_t>(*v.AsInt())); break;
    case ValueType::kU64: b.Put<uint64_t>(*v.AsUint()); break;
    case ValueType::kI64: b.Put<int64_t>(*v.AsInt()); break;
    case ValueType::kF32: b.Put<float>(static_cast<float>(*v.AsDouble())); break;
    case ValueType::kF64: b.Put<double>(*v.AsDouble()); break;
    case ValueType::kBool: b.Put<uint8_t>(*v.AsBool() ? 1 : 0); break;
    case ValueType::kString: b.PutString(*v.AsString()); break;
    case ValueType::kArray: PutArray(b, *v.AsArray()); break;
  }
}

// Bytes of a tensor of `type` and `shape`; nullopt when the shape is empty,
// has a negative dimension or rows that do not fill whole blocks.
std::optional<uint64_t> TensorBytes(DType type, const std::vector<int64_t>& shape) {
  const DTypeInfo& info = Info(type);
  if (shape.empty()) return std::nullopt;
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    n *= static_cast<uint64_t>(d);
  }
  if (shape[0] % info.block_size != 0) return std::nullopt;
  return n / info.block_size * info.block_bytes;
}

struct HeaderTensor {
  std::string_view name;
  DType type;
  const std::vector<int64_t>* shape;
  uint64_t n_bytes;
};

// Magic, counts, metadata and the tensor directory, padded to `alignment`:
// everything before the first tensor's data. Each tensor's data starts at
// the next multiple of `alignment` after the previous one.
void PutHeader(Buffer& b, const std::vector<KeyValue>& metadata,
               const std::vector<HeaderTensor>& tensors, uint32_t alignment) {
  b.Put<uint32_t>(kMagic);
  b.Put<uint32_t>(3);
  b.Put<uint64_t>(tensors.size());
  b.Put<uint64_t>(metadata.size());
  for (const auto& kv : metadata) {
    b.PutString(kv.key);
    b.Put<uint32_t>(static_cast<uint32_t>(kv.value.type()));
    PutValue(b, kv.value);
  }
  uint64_t offset = 0;
  for (const HeaderTensor& t : tensors) {
    b.PutString(t.name);
    b.Put<uint32_t>(static_cast<uint32_t>(t.shape->size()));
    for (int64_t d : *t.shape) b.Put<uint64_t>(static_cast<uint64_t>(d));
    b.Put<uint32_t>(static_cast<uint32_t>(t.type));
    b.Put<uint64_t>(offset);
    offset += (t.n_bytes + alignment - 1) / alignment * alignment;
  }
  b.PadTo(alignment);
}

// The writer's metadata plus general.alignment when it is not the default.
std::vector<KeyValue> MetadataWithAlignment(const GgufWriter& w) {
  std::vector<KeyValue> metadata = w.metadata();
  if (w.alignment() != kDefaultAlignment) {
    bool present = false;
    for (auto& kv : metadata) present |= kv.key == "general.alignment";
    if (!present) metadata.push_back({"general.alignment", Value::U32(w.alignment())});
  }
  return metadata;
}

}  // namespace

void GgufWriter::Set(const std::string& key, Value value) {
  for (auto& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({key, std::move(value)});
}

void GgufWriter::CopyMetadata(const GgufFile& file, std::string_view key_prefix) {
  for (const auto& kv : file.metadata()) {
    if (kv.key.starts_with(key_prefix)) Set(kv.key, kv.value);
  }
}

void GgufWriter::AddTensor(std::string name, DType type, std::vector<int64_t> shape,
                           std::span<const std::byte> data) {
  tensors_.push_back({std::move(name), type, std::move(shape), {data.begin(), data.end()}});
}

Result<std::vector<std::byte>> GgufWriter::SerializeParts(
    const std::vector<KeyValue>& metadata, const std::vector<const PendingTensor*>& tensors) const {
  std::vector<HeaderTensor> headers;
  for (const PendingTensor* t : tensors) {
    auto n_bytes = TensorBytes(t->type, t->shape);
    if (!n_bytes || *n_bytes != t->data.size()) {
      return Error("tensor '" + t->name + "': data size " + std::to_string(t->data.size()) +
                   " does not match its type and shape");
    }
    headers.push_back({t->name, t->type, &t->shape, *n_bytes});
  }
  Buffer b;
  PutHeader(b, metadata, headers, alignment_);
  for (const PendingTensor* t : tensors) {
    b.PutRaw(t->data.data(), t->data.size());
    b.PadTo(alignment_);
  }
  return std::move(b.bytes());
}

Result<std::vector<std::byte>> GgufWriter::Serialize() const {
  const std::vector<KeyValue> metadata = MetadataWithAlignment(*this);
  std::vector<const PendingTensor*> all;
  for (const auto& t : tensors_) all.push_back(&t);
  return SerializeParts(metadata, all);
}

Status GgufWriter::Write(const std::string& path) const {
  auto bytes = Serialize();
  if (!bytes) return bytes.error().Context(path);
  return WriteBytes(path, *bytes);
}

Result<std::vector<std::string>> GgufWriter::WriteSplit(const std::string& prefix,
                                                        size_t n_shards) const {
  if (n_shards == 0 || n_shards > 99999) return Error("bad shard count");
  std::vector<std::string> paths;
  for (size_t i = 0; i < n_shards; ++i) {
    std::vector<KeyValue> metadata;
    if (i == 0) metadata = metadata_;
    if (alignment_ != kDefaultAlignment) {
      metadata.push_back({"general.alignment", Value::U32(alignment_)});
    }
    metadata.push_back({"split.no", Value::U16(static_cast<uint16_t>(i))});
    metadata.push_back({"split.count", Value::U16(static_cast<uint16_t>(n_shards))});
    metadata.push_back({"split.tensors.count", Value::I32(static_cast<int32_t>(tensors_.size()))});
    std::vector<const PendingTensor*> part;
    // Spread tensors evenly: shard i holds [i*n/k, (i+1)*n/k).
    const size_t n = tensors_.size();
    for (size_t t = i * n / n_shards; t < (i + 1) * n / n_shards; ++t) {
      part.push_back(&tensors_[t]);
    }
    auto bytes = SerializeParts(metadata, part);
    if (!bytes) return bytes.error();
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu.gguf", i + 1, n_shards);
    paths.push_back(prefix + suffix);
    if (auto st = WriteBytes(paths.back(), *bytes); !st) return st.error();
  }
  return paths;
}

Result<std::unique_ptr<GgufStreamWriter>> GgufStreamWriter::Open(const std::string& path,
                                                                  const GgufWriter& metadata,
                                                                  std::vector<TensorDecl> tensors) {
  std::unique_ptr<GgufStreamWriter> w(new GgufStreamWriter());
  w->path_ = path;
  w->alignment_ = metadata.alignment();
  std::vector<HeaderTensor> headers;
  for (const TensorDecl& t : tensors) {
    auto n_bytes = TensorBytes(t.type, t.shape);
    if (!n_bytes) {
      return Error("tensor '" + t.name + "': shape does not fit type " + std::string(Name(t.type)));
    }
    w->sizes_.push_back(*n_bytes);
    headers.push_back({t.name, t.type, &t.shape, *n_bytes});
  }
  Buffer header;
  PutHeader(header, MetadataWithAlignment(metadata), headers, w->alignment_);
  w->tensors_ = std::move(tensors);
  w->file_ = std::fopen(path.c_str(), "wb");
  if (w->file_ == nullptr) return Error(path + ": cannot open for writing");
  if (auto st = w->Put(header.bytes().data(), header.size()); !st) return st.error();
  return w;
}

GgufStreamWriter::~GgufStreamWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!finished_) std::remove(path_.c_str());
}

Status GgufStreamWriter::Put(const void* p, size_t n) {
  if (n > 0 && std::fwrite(p, 1, n, file_) != n) return Error(path_ + ": write failed");
  written_ += n;
  return {};
}

Status GgufStreamWriter::PadTo(uint32_t alignment) {
  static constexpr std::byte kZeros[256] = {};
  uint64_t pad = (alignment - written_ % alignment) % alignment;
  while (pad > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(pad, sizeof kZeros));
    if (auto st = Put(kZeros, n); !st) return st;
    pad -= n;
  }
  return {};
}

void GgufStreamWriter::SkipEmpty() {
  while (current_ < sizes_.size() && sizes_[current_] == 0) ++current_;
}

Status GgufStreamWriter::Append(std::span<const std::byte> bytes) {
  if (file_ == nullptr || finished_) return Error(path_ + ": append after finish");
  SkipEmpty();
  while (!bytes.empty()) {
    if (current_ >= tensors_.size()) return Error(path_ + ": more tensor data than declared");
    const uint64_t room = sizes_[current_] - current_fill_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(room, bytes.size()));
    if (auto st = Put(bytes.data(), n); !st) return st;
    bytes = bytes.subspan(n);
    current_fill_ += n;
    if (current_fill_ == sizes_[current_]) {
      if (auto st = PadTo(alignment_); !st) return st;
      ++current_;
      current_fill_ = 0;
      SkipEmpty();
    }
  }
  return {};
}

Status GgufStreamWriter::Finish() {
  if (file_ == nullptr || finished_) return Error(path_ + ": already finished");
  SkipEmpty();
  if (current_ < tensors_.size()) {
    return Error(path_ + ": tensor '" + tensors_[current_].name + "' is missing data");
  }
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) return Error(path_ + ": write failed");
  finished_ = true;
  return {};
}

Status WriteBytes(const std::string& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error(path + ": cannot open for writing");
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Error(path + ": write failed");
  return {};
}

}  // namespace shimmy::gguf
