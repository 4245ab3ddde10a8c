// Anonymous memory aligned to 2 MiB and advised for transparent huge pages.
//
// Model weights are streamed from memory once per generated token, so the
// cost of a token is bounded by read bandwidth. On x86 VMs, 4 KiB pages
// cost a TLB walk every 4 KiB of streaming, and nested paging makes each
// walk dear: reading from 2 MiB pages was measured ~20-50 % faster than
// from 4 KiB pages on this project's 2-core machine class. Weights copied
// into this buffer get those pages where the kernel allows THP (`enabled`
// is `always` or `madvise`); elsewhere it is ordinary anonymous memory.
//
//   auto buf = HugePageBuffer::Allocate(bytes);   // zero-filled on first touch
//   std::memcpy(buf->data(), src, bytes);
//   buf->HugeBytes();                             // how much got 2 MiB pages
#pragma once

#include <cstddef>

#include "base/result.h"

namespace shimmy {

class HugePageBuffer {
 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageBuffer() = default;
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  // `bytes` rounded up to whole huge pages. Errors carry the OS reason.
  static Result<HugePageBuffer> Allocate(size_t bytes);

  std::byte* data() const { return data_; }
  size_t size() const { return size_; }

  // Bytes of this buffer currently backed by huge pages (from
  // /proc/self/smaps; 0 where that cannot be read).
  size_t HugeBytes() const;

 private:
  void Reset();

  std::byte* data_ = nullptr;  // kHugePage-aligned start
  size_t size_ = 0;
  void* map_ = nullptr;  // the whole mapping, including alignment slack
  size_t map_size_ = 0;
};

// Whether the kernel may back madvise'd memory with transparent huge pages.
bool TransparentHugePagesAvailable();

// MemAvailable from /proc/meminfo in bytes; 0 where it cannot be read.
size_t AvailableMemoryBytes();

}  // namespace shimmy
