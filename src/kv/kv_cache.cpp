#include "kv/kv_cache.h"

#include <sys/mman.h>

#include <algorithm>

namespace shimmy {

Result<std::unique_ptr<KvCache>> KvCache::Create(const KvShape& shape, int n_cells) {
  if (n_cells <= 0 || static_cast<int>(shape.k_dim.size()) != shape.n_layer ||
      static_cast<int>(shape.v_dim.size()) != shape.n_layer) {
    return Error("kv cache: bad shape");
  }
  std::unique_ptr<KvCache> kv(new KvCache(shape, n_cells));
  kv->cells_.resize(static_cast<size_t>(n_cells));
  size_t floats = 0;
  for (int l = 0; l < shape.n_layer; ++l) {
    floats += static_cast<size_t>(n_cells) *
              static_cast<size_t>(shape.k_dim[static_cast<size_t>(l)] + shape.v_dim[static_cast<size_t>(l)]);
  }
  kv->region_bytes_ = std::max<size_t>(floats * sizeof(float), 1);
  // Reserved, not committed: pages appear as cells are written.
  void* region = mmap(nullptr, kv->region_bytes_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    return Error("kv cache: cannot reserve " + std::to_string(kv->region_bytes_ >> 20) + " MiB");
  }
  kv->region_ = region;
  auto* p = static_cast<float*>(region);
  for (int l = 0; l < shape.n_layer; ++l) {
    kv->k_.push_back(p);
    p += static_cast<size_t>(n_cells) * shape.k_dim[static_cast<size_t>(l)];
    kv->v_.push_back(p);
    p += static_cast<size_t>(n_cells) * shape.v_dim[static_cast<size_t>(l)];
  }
  return kv;
}

KvCache::~KvCache() {
  if (region_ != nullptr) munmap(region_, region_bytes_);
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
    while (cells_[static_cast<size_t>(next)].pos >= 0) ++next;
    Cell& c = cells_[static_cast<size_t>(next)];
    c.pos = positions[i];
    c.seqs.reset();
    c.seqs.set(static_cast<size_t>(seqs[i]));
    placed.push_back(next);
    ++n_used_;
  }
  return placed;
}

void KvCache::Visible(SeqId seq, int32_t pos, int window, std::vector<int>& out) const {
  out.clear();
  const auto s = static_cast<size_t>(seq);
  for (int i = 0; i < n_cells_; ++i) {
    const Cell& c = cells_[static_cast<size_t>(i)];
    if (c.pos < 0 || c.pos > pos || !c.seqs.test(s)) continue;
    if (window > 0 && c.pos <= pos - window) continue;
    out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [this](int a, int b) { return cells_[static_cast<size_t>(a)].pos < cells_[static_cast<size_t>(b)].pos; });
}

void KvCache::RemoveSeq(SeqId seq, int32_t from) {
  const auto s = static_cast<size_t>(seq);
  for (Cell& c : cells_) {
    if (c.pos < from || !c.seqs.test(s)) continue;
    c.seqs.reset(s);
    if (c.seqs.none()) {
      c.pos = -1;
      --n_used_;
    }
  }
}

void KvCache::SharePrefix(SeqId src, SeqId dst, int32_t n_pos) {
  for (Cell& c : cells_) {
    if (c.pos >= 0 && c.pos < n_pos && c.seqs.test(static_cast<size_t>(src))) {
      c.seqs.set(static_cast<size_t>(dst));
    }
  }
}

int32_t KvCache::SeqLength(SeqId seq) const {
  int32_t n = 0;
  for (const Cell& c : cells_) {
    if (c.pos >= 0 && c.seqs.test(static_cast<size_t>(seq))) n = std::max(n, c.pos + 1);
  }
  return n;
}

void KvCache::Clear() {
  for (Cell& c : cells_) {
    c.pos = -1;
    c.seqs.reset();
  }
  n_used_ = 0;
}

}  // namespace shimmy
