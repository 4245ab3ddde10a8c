// The key/value cache shared by every sequence of one model instance.
//
// Storage is `n_cells` cells; a cell holds one token position's K and V for
// every layer and belongs to one or more sequences (several when a prompt
// prefix is shared). Cells are handed out lowest index first and the
// buffers are reserved, not committed, so memory grows with the tokens
// actually cached: a model's full training context costs nothing until used.
//
// Layout per layer: K as [n_heads][n_cells][k_dim / n_heads] values, V
// likewise, so one KV head's rows are adjacent: attention reads a head's
// rows in one forward stream, which the hardware prefetchers follow (rows
// of a cell side by side put a 128-byte F16 head row every 1 KiB, and
// reading those ran at half the speed). Values are stored as the shape's
// k_type / v_type: F32 (the default, exact), F16 (half the memory) or Q8_0
// (34 bytes per 32 values, about 0.27 of F32; each head must be whole
// 32-value blocks). Rows are written with kernels' QuantizeActivationRow
// and read by kernels/attention_rows.h.
// Each sequence keeps its cells in a list sorted by position, updated as
// cells are placed, shared and removed, so finding what a token may attend
// to is a binary search, not a scan of every cell.
// Not thread-safe: owned and driven by one engine thread; kernels may read
// and write distinct cells concurrently during a forward pass.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "tensor/dtype.h"

namespace shimmy {

using SeqId = int32_t;
constexpr int kMaxSequences = 64;

struct KvShape {
  int n_layer = 0;
  std::vector<int> k_dim;      // per layer: n_head_kv * head_dim_k
  std::vector<int> v_dim;      // per layer: n_head_kv * head_dim_v
  std::vector<int> n_heads;    // per layer: n_head_kv (empty: one head per layer)
  DType k_type = DType::kF32;  // F32, F16 or Q8_0
  DType v_type = DType::kF32;
};

class KvCache {
 public:
  // Reserves address space for `n_cells` cells; fails when it cannot, or
  // when a type is not F32, F16 or Q8_0 or a head is not whole blocks of it.
  static Result<std::unique_ptr<KvCache>> Create(const KvShape& shape, int n_cells);
  ~KvCache() = default;
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  int n_cells() const { return n_cells_; }
  int n_used() const { return n_used_; }

  // Claims one free cell per (seq, pos) pair, in the order given. Fails
  // (claiming nothing) when there are not enough free cells.
  Result<std::vector<int>> Place(std::span<const SeqId> seqs, std::span<const int32_t> positions);

  DType k_type() const { return shape_.k_type; }
  DType v_type() const { return shape_.v_type; }
  int n_heads(int layer) const { return n_heads_[static_cast<size_t>(layer)]; }
  // Bytes of one head's K (V) row of `layer`; a head's rows are this far
  // apart, cell after cell.
  size_t k_head_bytes(int layer) const { return k_head_bytes_[static_cast<size_t>(layer)]; }
  size_t v_head_bytes(int layer) const { return v_head_bytes_[static_cast<size_t>(layer)]; }
  // Bytes one cell takes over all layers (K and V).
  size_t cell_bytes() const;

  // Head `head`'s K (V) row of `cell` in `layer`.
  uint8_t* K(int layer, int cell, int head = 0) {
    return Row(k_, k_head_bytes_, layer, cell, head);
  }
  uint8_t* V(int layer, int cell, int head = 0) {
    return Row(v_, v_head_bytes_, layer, cell, head);
  }
  const uint8_t* K(int layer, int cell, int head = 0) const {
    return const_cast<KvCache*>(this)->K(layer, cell, head);
  }
  const uint8_t* V(int layer, int cell, int head = 0) const {
    return const_cast<KvCache*>(this)->V(layer, cell, head);
  }

  // Cells of `seq` with position <= pos (and > pos - window when window > 0),
  // in increasing position order, appended to `out` (cleared first).
  void Visible(SeqId seq, int32_t pos, int window, std::vector<int>& out) const;
  // Every cell of `seq`, in increasing position order. Valid until the next
  // call that places, shares or removes cells. O(1).
  std::span<const int> SeqCells(SeqId seq) const;
  // Index into SeqCells(seq) of the first cell with position >= pos. O(log n).
  size_t SeqLowerBound(SeqId seq, int32_t pos) const;
  // Position of a cell (-1 when free).
  int32_t CellPos(int cell) const {
    const Cell& c = cells_[static_cast<size_t>(cell)];
    return c.free() ? -1 : c.pos;
  }

  // Forgets positions >= from of `seq`; cells nobody else holds become free.
  void RemoveSeq(SeqId seq, int32_t from = 0);
  // Makes `dst` share `src`'s cells with position < n_pos (prefix reuse).
  void SharePrefix(SeqId src, SeqId dst, int32_t n_pos);
  // Number of cached positions of `seq` (its next position). O(1).
  int32_t SeqLength(SeqId seq) const;
  void Clear();

 private:
  KvCache(const KvShape& shape, int n_cells) : shape_(shape), n_cells_(n_cells) {}
  // Inserts `cell` into seq's list after any cell with the same position.
  void AddToSeq(size_t seq, int cell);

  // All zero bits is a free cell, so the cell array can live in reserved,
  // zero-filled pages that commit only as cells are first used (16 bytes
  // per cell is 10 MB for 4 slots of a 128k context).
  struct Cell {
    int32_t pos;  // meaningless while free
    std::bitset<kMaxSequences> seqs;
    bool free() const { return seqs.none(); }
  };
  // Anonymous memory reserved with mmap: zero-filled, committed on first
  // touch, unmapped on destruction.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();
    bool Reserve(size_t bytes);
    void* data() const { return data_; }
    size_t size() const { return bytes_; }

   private:
    void* data_ = nullptr;
    size_t bytes_ = 0;
  };

  KvShape shape_;
  int n_cells_ = 0;
  int n_used_ = 0;
  // One past the highest cell ever placed: Clear resets no further.
  int high_water_ = 0;
  Reservation cell_memory_;
  Cell* cells_ = nullptr;  // n_cells_ of them, in cell_memory_
  // Per sequence: its cells sorted by position (ties in placement order).
  std::vector<std::vector<int>> seq_cells_;
  uint8_t* Row(const std::vector<uint8_t*>& base, const std::vector<size_t>& head_bytes, int layer,
               int cell, int head) const {
    const size_t l = static_cast<size_t>(layer);
    return base[l] +
           (static_cast<size_t>(head) * static_cast<size_t>(n_cells_) + static_cast<size_t>(cell)) *
               head_bytes[l];
  }

  std::vector<uint8_t*> k_, v_;  // per layer: head 0's row of cell 0
  std::vector<int> n_heads_;
  std::vector<size_t> k_head_bytes_, v_head_bytes_;
  Reservation kv_memory_;
};

}  // namespace shimmy
