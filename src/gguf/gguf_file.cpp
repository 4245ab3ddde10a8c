#include "gguf/gguf_file.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <limits>
#include <regex>
#include <system_error>
#include <thread>

namespace shimmy::gguf {
namespace {

// Bounds on things the format leaves open. Real files stay far below them;
// they exist so that a hostile header cannot make us recurse or loop deeply.
constexpr uint64_t kMaxKeyLength = 64 * 1024;
constexpr uint64_t kMaxTensorNameLength = 64 * 1024;
constexpr int kMaxArrayDepth = 8;

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

// Parses one mapped file. Keeps a cursor and produces errors that carry the
// file name and byte offset.
class Parser {
 public:
  explicit Parser(const MappedFile& file) : file_(file) {}

  Status Parse(GgufFile& out, uint64_t& data_start);

 private:
  Error Fail(const std::string& what) const {
    return Error(file_.path() + ": " + what + " (at byte offset " + std::to_string(pos_) + ")");
  }
  uint64_t remaining() const { return file_.size() - pos_; }

  template <class T>
  Status Read(T& v, const char* what) {
    if (remaining() < sizeof(T)) {
      return Error(file_.path() + ": truncated file: " + what + " needs " +
                   std::to_string(sizeof(T)) + " bytes at offset " + std::to_string(pos_) +
                   ", file has " + std::to_string(file_.size()) + " bytes");
    }
    std::memcpy(&v, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return {};
  }

  Status ReadString(std::string& s, uint64_t max_len, const char* what);
  Status ReadValue(ValueType type, Value& out, int depth, const std::string& key);
  Status ReadArray(Array& out, int depth, const std::string& key);

  const MappedFile& file_;
  uint64_t pos_ = 0;
};

Status Parser::ReadString(std::string& s, uint64_t max_len, const char* what) {
  uint64_t len = 0;
  if (auto st = Read(len, what); !st) return st;
  if (len > remaining()) {
    return Fail(std::string("truncated file: ") + what + " of length " + std::to_string(len) +
                " runs past the end");
  }
  if (len > max_len) {
    return Fail(std::string(what) + " has absurd length " + std::to_string(len));
  }
  s.assign(reinterpret_cast<const char*>(file_.data() + pos_), len);
  pos_ += len;
  return {};
}

Status Parser::ReadArray(Array& out, int depth, const std::string& key) {
  if (depth >= kMaxArrayDepth) return Fail("array nesting too deep in key '" + key + "'");
  uint32_t elem_type = 0;
  uint64_t count = 0;
  if (auto st = Read(elem_type, "array element type"); !st) return st;
  if (!IsValidValueType(elem_type)) {
    return Fail("unknown array element type " + std::to_string(elem_type) + " in key '" + key +
                "'");
  }
  if (auto st = Read(count, "array length"); !st) return st;
  out.elem_type = static_cast<ValueType>(elem_type);
  // Every element occupies at least this many bytes in the file, so the
  // count can be checked before anything is allocated.
  const size_t fixed = FixedSize(out.elem_type);
  const uint64_t min_elem = fixed != 0 ? fixed : (out.elem_type == ValueType::kString ? 8 : 12);
  if (count > remaining() / min_elem) {
    return Fail("array length " + std::to_string(count) + " of key '" + key +
                "' exceeds the bytes left in the file");
  }
  if (fixed != 0) {
    out.packed.resize(count * fixed);
    if (count > 0) std::memcpy(out.packed.data(), file_.data() + pos_, count * fixed);
    pos_ += count * fixed;
  } else if (out.elem_type == ValueType::kString) {
    out.strings.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      if (auto st = ReadString(out.strings[i], remaining(), "array string"); !st) return st;
    }
  } else {
    out.arrays.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      Value v;
      if (auto st = ReadValue(ValueType::kArray, v, depth + 1, key); !st) return st;
      out.arrays.push_back(std::move(v));
    }
  }
  return {};
}

Status Parser::ReadValue(ValueType type, Value& out, int depth, const std::string& key) {
  switch (type) {
#define SHIMMY_SCALAR(KIND, CTYPE, MAKE)                       \
  case ValueType::KIND: {                                      \
    CTYPE v{};                                                 \
    if (auto st = Read(v, "metadata value"); !st) return st;   \
    out = Value::MAKE(v);                                      \
    return {};                                                 \
  }
    SHIMMY_SCALAR(kU8, uint8_t, U8)
    SHIMMY_SCALAR(kI8, int8_t, I8)
    SHIMMY_SCALAR(kU16, uint16_t, U16)
    SHIMMY_SCALAR(kI16, int16_t, I16)
    SHIMMY_SCALAR(kU32, uint32_t, U32)
    SHIMMY_SCALAR(kI32, int32_t, I32)
    SHIMMY_SCALAR(kU64, uint64_t, U64)
    SHIMMY_SCALAR(kI64, int64_t, I64)
    SHIMMY_SCALAR(kF32, float, F32)
    SHIMMY_SCALAR(kF64, double, F64)
#undef SHIMMY_SCALAR
    case ValueType::kBool: {
      uint8_t v = 0;
      if (auto st = Read(v, "metadata value"); !st) return st;
      if (v > 1) return Fail("bool value " + std::to_string(v) + " of key '" + key + "'");
      out = Value::Bool(v != 0);
      return {};
    }
    case ValueType::kString: {
      std::string s;
      if (auto st = ReadString(s, remaining(), "string value"); !st) return st;
      out = Value::String(std::move(s));
      return {};
    }
    case ValueType::kArray: {
      Array a;
      if (auto st = ReadArray(a, depth, key); !st) return st;
      out = Value::OfArray(std::move(a));
      return {};
    }
  }
  return Fail("unknown value type");
}

Status Parser::Parse(GgufFile& out, uint64_t& data_start) {
  uint32_t magic = 0;
  if (auto st = Read(magic, "magic"); !st) return st;
  if (magic != kMagic) {
    return Error(file_.path() + ": not a GGUF file (bad magic " + Hex(magic) + ")");
  }
  uint32_t version = 0;
  if (auto st = Read(version, "version"); !st) return st;
  if (version == 1) return Error(file_.path() + ": GGUF version 1 is not supported (too old)");
  if (version != 2 && version != 3) {
    if ((version & 0xFFFF) == 0 && version != 0) {
      return Error(file_.path() + ": big-endian GGUF files are not supported");
    }
    return Error(file_.path() + ": unsupported GGUF version " + std::to_string(version));
  }
  out.version_ = version;

  uint64_t n_tensors = 0, n_kv = 0;
  if (auto st = Read(n_tensors, "tensor count"); !st) return st;
  if (auto st = Read(n_kv, "metadata count"); !st) return st;
  // Smallest possible entries: a KV is key length + type + 1 byte; a tensor
  // info is name length + n_dims + one dim + type + offset.
  if (n_kv > remaining() / 13) {
    return Fail("metadata count " + std::to_string(n_kv) + " exceeds the bytes left in the file");
  }
  if (n_tensors > remaining() / 32) {
    return Fail("tensor count " + std::to_string(n_tensors) +
                " exceeds the bytes left in the file");
  }

  out.metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    KeyValue kv;
    if (auto st = ReadString(kv.key, kMaxKeyLength, "metadata key"); !st) return st;
    uint32_t type = 0;
    if (auto st = Read(type, "metadata value type"); !st) return st;
    if (!IsValidValueType(type)) {
      return Fail("unknown value type " + std::to_string(type) + " of key '" + kv.key + "'");
    }
    if (auto st = ReadValue(static_cast<ValueType>(type), kv.value, 0, kv.key); !st) return st;
    if (!out.key_index_.emplace(kv.key, out.metadata_.size()).second) {
      return Fail("duplicate metadata key '" + kv.key + "'");
    }
    out.metadata_.push_back(std::move(kv));
  }

  if (const Value* a = out.Find("general.alignment")) {
    auto v = a->AsUint();
    if (!v || *v == 0 || *v > (1u << 30) || (*v & (*v - 1)) != 0) {
      return Error(file_.path() + ": general.alignment must be a power of two");
    }
    out.alignment_ = static_cast<uint32_t>(*v);
  }

  out.tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    if (auto st = ReadString(t.name, kMaxTensorNameLength, "tensor name"); !st) return st;
    uint32_t n_dims = 0;
    if (auto st = Read(n_dims, "tensor dimension count"); !st) return st;
    if (n_dims == 0 || n_dims > kMaxDims) {
      return Fail("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions");
    }
    t.shape.resize(n_dims);
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      if (auto st = Read(dim, "tensor dimension"); !st) return st;
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (dim != 0 && n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dim)) {
        return Fail("tensor '" + t.name + "' has an absurd shape");
      }
      t.shape[d] = static_cast<int64_t>(dim);
      n *= dim;
    }
    t.n_elements = n;
    uint32_t type = 0;
    if (auto st = Read(type, "tensor type"); !st) return st;
    auto info = LookupDType(type);
    if (!info) {
      return Fail("tensor '" + t.name + "' has unknown type " + std::to_string(type));
    }
    t.type = info->type;
    if (t.shape[0] % info->block_size != 0) {
      return Fail("tensor '" + t.name + "' of type " + std::string(info->name) + " has row size " +
                  std::to_string(t.shape[0]) + ", not a multiple of its block size " +
                  std::to_string(info->block_size));
    }
    t.n_bytes = n / info->block_size * info->block_bytes;
    t.file_type = t.type;
    t.file_n_bytes = t.n_bytes;
    if (auto st = Read(t.offset, "tensor offset"); !st) return st;
    if (t.offset % out.alignment_ != 0) {
      return Fail("tensor '" + t.name + "' offset " + std::to_string(t.offset) +
                  " is not aligned to " + std::to_string(out.alignment_));
    }
    if (!out.tensor_index_.emplace(t.name, out.tensors_.size()).second) {
      return Fail("duplicate tensor name '" + t.name + "'");
    }
    out.tensors_.push_back(std::move(t));
  }

  data_start = (pos_ + out.alignment_ - 1) / out.alignment_ * out.alignment_;
  const uint64_t data_size = data_start <= file_.size() ? file_.size() - data_start : 0;

  // Every tensor inside the data section, and no two overlapping.
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(out.tensors_.size());
  for (const auto& t : out.tensors_) {
    if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
      return Error(file_.path() + ": tensor '" + t.name + "' (" + std::to_string(t.n_bytes) +
                   " bytes at data offset " + std::to_string(t.offset) +
                   ") runs past the end of the file (truncated?)");
    }
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& a = *by_offset[i - 1];
    const TensorInfo& b = *by_offset[i];
    if (a.offset + a.n_bytes > b.offset) {
      return Error(file_.path() + ": tensors '" + a.name + "' and '" + b.name + "' overlap");
    }
  }
  for (auto& t : out.tensors_) t.data = file_.data() + data_start + t.offset;
  return {};
}

Result<GgufFile> GgufFile::OpenSingle(const std::string& path) {
  auto mapped = MappedFile::Open(path);
  if (!mapped) return mapped.error();
  GgufFile file;
  file.path_ = path;
  uint64_t data_start = 0;
  Parser parser(*mapped);
  if (auto st = parser.Parse(file, data_start); !st) return st.error();
  file.data_offset_ = data_start;
  file.files_.push_back(std::move(mapped).value());
  file.shard_paths_.push_back(path);
  return file;
}

Result<GgufFile> GgufFile::Open(const std::string& path) {
  auto shards = SplitShardPaths(path);
  if (!shards) {
    auto file = OpenSingle(path);
    if (!file) return file;
    if (auto count = file->GetUint("split.count"); count && *count > 1) {
      return Error(path + ": one shard of a " + std::to_string(*count) +
                   "-file split model, but its name does not follow "
                   "NAME-0000i-of-0000N.gguf, so the other shards cannot be found");
    }
    return file;
  }
  auto first = OpenSingle((*shards)[0]);
  if (!first) return first;
  GgufFile model = std::move(first).value();
  const uint64_t declared = model.GetUint("split.count").value_or(shards->size());
  if (declared != shards->size()) {
    return Error((*shards)[0] + ": split.count is " + std::to_string(declared) +
                 " but the file name says " + std::to_string(shards->size()));
  }
  for (size_t i = 1; i < shards->size(); ++i) {
    auto shard = OpenSingle((*shards)[i]);
    if (!shard) return shard.error().Context("opening shard " + std::to_string(i + 1));
    if (shard->GetUint("split.no").value_or(i) != i) {
      return Error((*shards)[i] + ": split.no does not match its position " + std::to_string(i));
    }
    for (auto& t : shard->tensors_) {
      t.shard = static_cast<uint32_t>(i);
      if (!model.tensor_index_.emplace(t.name, model.tensors_.size()).second) {
        return Error((*shards)[i] + ": tensor '" + t.name + "' already defined in another shard");
      }
      model.tensors_.push_back(std::move(t));
    }
    model.files_.push_back(std::move(shard->files_[0]));
    model.shard_paths_.push_back((*shards)[i]);
  }
  if (auto total = model.GetUint("split.tensors.count");
      total && *total != model.tensors_.size()) {
    return Error(path + ": split.tensors.count is " + std::to_string(*total) + " but the shards hold " +
                 std::to_string(model.tensors_.size()) + " tensors");
  }
  model.path_ = (*shards)[0];
  return model;
}

uint64_t GgufFile::file_size() const {
  uint64_t total = 0;
  for (const auto& f : files_) total += f.size();
  return total;
}

Result<size_t> GgufFile::CopyTensorsToMemory(const TensorConverter& convert) {
  if (tensors_copied()) return tensor_copy_bytes_;
  const uint64_t align = std::max<uint64_t>(alignment_, 64);
  auto place = [align](uint64_t at) { return (at + align - 1) / align * align; };
  // Laid out in file order, as the file has them.
  std::vector<TensorInfo*> order;
  order.reserve(tensors_.size());
  for (auto& t : tensors_) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->shard != b->shard ? a->shard < b->shard : a->offset < b->offset;
  });
  struct Job {
    TensorInfo* t;
    std::optional<TensorConversion> conversion;
    uint64_t at;  // offset in the buffer
  };
  std::vector<Job> jobs(order.size());
  uint64_t total = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    Job& job = jobs[i];
    job.t = order[i];
    if (convert) job.conversion = convert(*job.t);
    job.at = place(total);
    total = job.at + (job.conversion ? job.conversion->n_bytes : job.t->n_bytes);
  }
  auto buffer = HugePageBuffer::Allocate(static_cast<size_t>(total));
  if (!buffer) return buffer.error().Context(path_ + ": copying tensors to memory");
  // Several threads, largest tensors first so that they finish together:
  // most of the time is the kernel zeroing each new huge page on first
  // touch (and the repacks), which runs on whichever CPU touches it.
  std::vector<Job*> by_size;
  for (Job& job : jobs) by_size.push_back(&job);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const Job* a, const Job* b) { return a->t->n_bytes > b->t->n_bytes; });
  std::atomic<size_t> next{0};
  const auto work = [&by_size, &next, base = buffer->data()] {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < by_size.size();) {
      const Job& job = *by_size[i];
      std::byte* dst = base + job.at;
      if (job.conversion) {
        job.conversion->convert(job.t->data, dst);
      } else if (job.t->n_bytes > 0) {
        std::memcpy(dst, job.t->data, job.t->n_bytes);
      }
    }
  };
  {
    const unsigned n_threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    std::vector<std::jthread> helpers;
    try {
      for (unsigned i = 1; i < n_threads; ++i) helpers.emplace_back(work);
    } catch (const std::system_error&) {
      // No more threads to be had: the ones running and this one do it all.
    }
    work();
  }
  for (const Job& job : jobs) {
    if (job.conversion) {
      job.t->type = job.conversion->type;
      job.t->n_bytes = job.conversion->n_bytes;
    }
    job.t->data = buffer->data() + job.at;
  }
  tensor_memory_ = std::move(buffer).value();
  tensor_copy_bytes_ = static_cast<size_t>(total);
  for (const auto& f : files_) f.ReleaseResidentPages();
  return tensor_copy_bytes_;
}

void GgufFile::DropMetadata(std::span<const std::string_view> keys) {
  const auto dropped = [keys](const KeyValue& kv) {
    return std::find(keys.begin(), keys.end(), kv.key) != keys.end();
  };
  std::erase_if(metadata_, dropped);
  metadata_.shrink_to_fit();
  key_index_.clear();
  for (size_t i = 0; i < metadata_.size(); ++i) key_index_.emplace(metadata_[i].key, i);
}

const Value* GgufFile::Find(std::string_view key) const {
  auto it = key_index_.find(std::string(key));
  return it == key_index_.end() ? nullptr : &metadata_[it->second].value;
}

std::optional<std::string> GgufFile::GetString(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr || v->AsString() == nullptr) return std::nullopt;
  return *v->AsString();
}

std::optional<uint64_t> GgufFile::GetUint(std::string_view key) const {
  const Value* v = Find(key);
  return v ? v->AsUint() : std::nullopt;
}

std::optional<int64_t> GgufFile::GetInt(std::string_view key) const {
  const Value* v = Find(key);
  return v ? v->AsInt() : std::nullopt;
}

std::optional<double> GgufFile::GetFloat(std::string_view key) const {
  const Value* v = Find(key);
  return v ? v->AsDouble() : std::nullopt;
}

std::optional<bool> GgufFile::GetBool(std::string_view key) const {
  const Value* v = Find(key);
  return v ? v->AsBool() : std::nullopt;
}

const Array* GgufFile::GetArray(std::string_view key) const {
  const Value* v = Find(key);
  return v ? v->AsArray() : nullptr;
}

std::string GgufFile::architecture() const {
  return GetString("general.architecture").value_or("");
}

std::optional<uint64_t> GgufFile::ArchUint(std::string_view suffix) const {
  return GetUint(architecture() + "." + std::string(suffix));
}

const TensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::optional<std::vector<std::string>> SplitShardPaths(const std::string& path) {
  static const std::regex kShard(R"(^(.*)-(\d{5})-of-(\d{5})\.gguf$)");
  std::smatch m;
  if (!std::regex_match(path, m, kShard)) return std::nullopt;
  const int count = std::stoi(m[3].str());
  const int index = std::stoi(m[2].str());
  if (count < 1 || index < 1 || index > count) return std::nullopt;
  std::vector<std::string> paths;
  for (int i = 1; i <= count; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "-%05d-of-%05d.gguf", i, count);
    paths.push_back(m[1].str() + buf);
  }
  return paths;
}

}  // namespace shimmy::gguf
