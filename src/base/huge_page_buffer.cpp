#include "base/huge_page_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace shimmy {

HugePageBuffer::~HugePageBuffer() { Reset(); }

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      map_(std::exchange(other.map_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
  }
  return *this;
}

void HugePageBuffer::Reset() {
  if (map_ != nullptr) munmap(map_, map_size_);
  data_ = nullptr;
  size_ = 0;
  map_ = nullptr;
  map_size_ = 0;
}

Result<HugePageBuffer> HugePageBuffer::Allocate(size_t bytes) {
  HugePageBuffer buf;
  if (bytes == 0) return buf;
  const size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  // Over-allocate by one huge page so an aligned start exists, then give the
  // unaligned head and tail back.
  const size_t map_size = size + kHugePage;
  void* map = mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    return Error("cannot allocate " + std::to_string(size >> 20) + " MiB: " + std::strerror(errno));
  }
  const auto base = reinterpret_cast<uintptr_t>(map);
  const uintptr_t start = (base + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  const size_t head = start - base;
  const size_t tail = map_size - head - size;
  if (head > 0) munmap(map, head);
  if (tail > 0) munmap(reinterpret_cast<void*>(start + size), tail);
  buf.map_ = reinterpret_cast<void*>(start);
  buf.map_size_ = size;
  buf.data_ = reinterpret_cast<std::byte*>(start);
  buf.size_ = size;
  // Advice only: where THP is off this fails harmlessly and the buffer is
  // ordinary memory.
  madvise(buf.map_, size, MADV_HUGEPAGE);
  return buf;
}

size_t HugePageBuffer::HugeBytes() const {
  if (data_ == nullptr) return 0;
  std::ifstream smaps("/proc/self/smaps");
  const auto begin = reinterpret_cast<uintptr_t>(data_);
  const uintptr_t end = begin + size_;
  std::string line;
  size_t total = 0;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      inside = lo >= begin && hi <= end;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      std::istringstream in(line.substr(14));
      size_t kb = 0;
      in >> kb;
      total += kb * 1024;
    }
  }
  return total;
}

bool TransparentHugePagesAvailable() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(f, line)) return false;
  return line.find("[never]") == std::string::npos;
}

}  // namespace shimmy

namespace shimmy {

size_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  size_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

}  // namespace shimmy
