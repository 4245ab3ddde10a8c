// A read-only memory mapping of a whole file. Move-only; unmaps on
// destruction. Views into data() stay valid as long as the MappedFile lives.
// Thread-safe for concurrent reads.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "base/result.h"

namespace shimmy {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path` read-only. Errors name the path and the OS reason.
  static Result<MappedFile> Open(const std::string& path);

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

  // Lets the kernel drop this mapping's resident pages (they stay in the
  // page cache and fault back in, unchanged, if read again). For when the
  // contents were copied elsewhere and the process's RSS should not count
  // them twice.
  void ReleaseResidentPages() const;

 private:
  void Reset();

  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace shimmy
