#include "kv/kv_cache.h"

#include <sys/mman.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <new>
#include <string>
#include <type_traits>

namespace shimmy {

KvCache::Reservation::~Reservation() {
  if (data_ != nullptr) munmap(data_, bytes_);
}

bool KvCache::Reservation::Reserve(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return false;
  data_ = p;
  bytes_ = bytes;
  return true;
}

Result<std::unique_ptr<KvCache>> KvCache::Create(const KvShape& shape, int n_cells) {
  if (n_cells <= 0 || static_cast<int>(shape.k_dim.size()) != shape.n_layer ||
      static_cast<int>(shape.v_dim.size()) != shape.n_layer ||
      (!shape.n_heads.empty() && static_cast<int>(shape.n_heads.size()) != shape.n_layer)) {
    return Error("kv cache: bad shape");
  }
  for (DType type : {shape.k_type, shape.v_type}) {
    if (type != DType::kF32 && type != DType::kF16 && type != DType::kQ8_0) {
      return Error("kv cache: cannot store " + std::string(Name(type)) + " (F32, F16 or Q8_0)");
    }
  }
  static_assert(std::is_trivially_copyable_v<Cell>, "cells live in raw zero-filled memory");
  std::unique_ptr<KvCache> kv(new KvCache(shape, n_cells));
  if (!kv->cell_memory_.Reserve(static_cast<size_t>(n_cells) * sizeof(Cell))) {
    return Error("kv cache: cannot reserve " + std::to_string(n_cells) + " cells");
  }
  kv->cells_ = std::launder(static_cast<Cell*>(kv->cell_memory_.data()));
  kv->seq_cells_.resize(kMaxSequences);
  size_t total = 0;
  for (size_t l = 0; l < static_cast<size_t>(shape.n_layer); ++l) {
    const int heads = shape.n_heads.empty() ? 1 : shape.n_heads[l];
    const int k_dim = shape.k_dim[l], v_dim = shape.v_dim[l];
    if (heads <= 0 || k_dim % heads != 0 || v_dim % heads != 0) {
      return Error("kv cache: layer " + std::to_string(l) + "'s " + std::to_string(k_dim) +
                   " and " + std::to_string(v_dim) + " values do not split into " +
                   std::to_string(heads) + " heads");
    }
    // Attention reads one head's rows, so a block type needs whole blocks
    // per head, not just per row.
    const auto head_bytes = [&](DType type, int head_dim, const char* which) -> Result<uint64_t> {
      if (auto bytes = RowBytes(type, static_cast<uint64_t>(head_dim))) return *bytes;
      return Error(std::string(Name(type)) + " " + which + " cache: this model's head dim " +
                   std::to_string(head_dim) + " is not a multiple of " +
                   std::to_string(Info(type).block_size) + "; use f16 or f32");
    };
    const auto k_bytes = head_bytes(shape.k_type, k_dim / heads, "K");
    if (!k_bytes) return k_bytes.error();
    const auto v_bytes = head_bytes(shape.v_type, v_dim / heads, "V");
    if (!v_bytes) return v_bytes.error();
    kv->n_heads_.push_back(heads);
    kv->k_head_bytes_.push_back(*k_bytes);
    kv->v_head_bytes_.push_back(*v_bytes);
    total += static_cast<size_t>(n_cells) * static_cast<size_t>(heads) * (*k_bytes + *v_bytes);
  }
  // Reserved, not committed: pages appear as cells are written.
  if (!kv->kv_memory_.Reserve(total)) {
    return Error("kv cache: cannot reserve " + std::to_string(total >> 20) + " MiB");
  }
  auto* p = static_cast<uint8_t*>(kv->kv_memory_.data());
  for (size_t l = 0; l < static_cast<size_t>(shape.n_layer); ++l) {
    const size_t cells_of_heads =
        static_cast<size_t>(n_cells) * static_cast<size_t>(kv->n_heads_[l]);
    kv->k_.push_back(p);
    p += cells_of_heads * kv->k_head_bytes_[l];
    kv->v_.push_back(p);
    p += cells_of_heads * kv->v_head_bytes_[l];
  }
  return kv;
}

size_t KvCache::cell_bytes() const {
  size_t bytes = 0;
  for (size_t l = 0; l < n_heads_.size(); ++l) {
    bytes += static_cast<size_t>(n_heads_[l]) * (k_head_bytes_[l] + v_head_bytes_[l]);
  }
  return bytes;
}

Result<std::vector<int>> KvCache::Place(std::span<const SeqId> seqs, std::span<const int32_t> positions) {
  if (seqs.size() != positions.size()) return Error("kv cache: seqs and positions differ in length");
  if (static_cast<int>(seqs.size()) > n_cells_ - n_used_) {
    return Error("kv cache full: " + std::to_string(seqs.size()) + " new tokens, " +
                 std::to_string(n_cells_ - n_used_) + " of " + std::to_string(n_cells_) + " cells free");
  }
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i] < 0 || seqs[i] >= kMaxSequences) return Error("kv cache: sequence id out of range");
  }
  std::vector<int> placed;
  placed.reserve(seqs.size());
  int next = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    while (!cells_[static_cast<size_t>(next)].free()) ++next;
    high_water_ = std::max(high_water_, next + 1);
    Cell& c = cells_[static_cast<size_t>(next)];
    c.pos = positions[i];
    c.seqs.reset();
    c.seqs.set(static_cast<size_t>(seqs[i]));
    AddToSeq(static_cast<size_t>(seqs[i]), next);
    placed.push_back(next);
    ++n_used_;
  }
  return placed;
}

namespace {
bool ValidSeq(SeqId seq) { return seq >= 0 && seq < kMaxSequences; }
}  // namespace

void KvCache::AddToSeq(size_t seq, int cell) {
  std::vector<int>& list = seq_cells_[seq];
  const int32_t pos = cells_[static_cast<size_t>(cell)].pos;
  // Decode appends: the common case is a position past every cached one.
  if (list.empty() || cells_[static_cast<size_t>(list.back())].pos <= pos) {
    list.push_back(cell);
    return;
  }
  const auto at = std::upper_bound(list.begin(), list.end(), pos, [this](int32_t p, int c) {
    return p < cells_[static_cast<size_t>(c)].pos;
  });
  list.insert(at, cell);
}

std::span<const int> KvCache::SeqCells(SeqId seq) const {
  if (!ValidSeq(seq)) return {};
  return seq_cells_[static_cast<size_t>(seq)];
}

size_t KvCache::SeqLowerBound(SeqId seq, int32_t pos) const {
  const std::span<const int> list = SeqCells(seq);
  const auto it = std::lower_bound(list.begin(), list.end(), pos, [this](int c, int32_t p) {
    return cells_[static_cast<size_t>(c)].pos < p;
  });
  return static_cast<size_t>(it - list.begin());
}

void KvCache::Visible(SeqId seq, int32_t pos, int window, std::vector<int>& out) const {
  out.clear();
  const std::span<const int> list = SeqCells(seq);
  const size_t end = pos == INT32_MAX ? list.size() : SeqLowerBound(seq, pos + 1);
  const size_t begin = window > 0 ? std::min(end, SeqLowerBound(seq, pos - window + 1)) : 0;
  out.assign(list.begin() + static_cast<ptrdiff_t>(begin),
             list.begin() + static_cast<ptrdiff_t>(end));
}

void KvCache::RemoveSeq(SeqId seq, int32_t from) {
  if (!ValidSeq(seq)) return;
  const auto s = static_cast<size_t>(seq);
  std::vector<int>& list = seq_cells_[s];
  const size_t first = SeqLowerBound(seq, from);
  for (size_t i = first; i < list.size(); ++i) {
    Cell& c = cells_[static_cast<size_t>(list[i])];
    c.seqs.reset(s);
    if (c.free()) --n_used_;
  }
  list.resize(first);
}

void KvCache::SharePrefix(SeqId src, SeqId dst, int32_t n_pos) {
  if (!ValidSeq(src) || !ValidSeq(dst) || src == dst) return;
  const auto d = static_cast<size_t>(dst);
  const std::vector<int>& from = seq_cells_[static_cast<size_t>(src)];
  const size_t end = SeqLowerBound(src, n_pos);
  for (size_t i = 0; i < end; ++i) {
    const int cell = from[i];
    Cell& c = cells_[static_cast<size_t>(cell)];
    if (c.seqs.test(d)) continue;
    c.seqs.set(d);
    AddToSeq(d, cell);
  }
}

int32_t KvCache::SeqLength(SeqId seq) const {
  const std::span<const int> list = SeqCells(seq);
  return list.empty() ? 0 : cells_[static_cast<size_t>(list.back())].pos + 1;
}

void KvCache::Clear() {
  std::fill_n(cells_, high_water_, Cell{});
  high_water_ = 0;
  for (std::vector<int>& list : seq_cells_) list.clear();
  n_used_ = 0;
}

}  // namespace shimmy
