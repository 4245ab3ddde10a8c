#include "sampling/penalty_window.h"

namespace shimmy {

PenaltyWindow::PenaltyWindow(int32_t capacity) : capacity_(capacity) {
  if (capacity_ > 0) ring_.resize(static_cast<size_t>(capacity_));
}

void PenaltyWindow::Push(TokenId token) {
  if (capacity_ == 0) return;
  if (capacity_ > 0) {
    if (size_ == capacity_) {
      const TokenId evicted = ring_[static_cast<size_t>(head_)];
      auto it = counts_.find(evicted);
      if (--it->second == 0) counts_.erase(it);
      ring_[static_cast<size_t>(head_)] = token;
      head_ = (head_ + 1) % capacity_;
    } else {
      ring_[static_cast<size_t>((head_ + size_) % capacity_)] = token;
      ++size_;
    }
  } else {
    ++size_;
  }
  ++counts_[token];
}

void PenaltyWindow::Clear() {
  head_ = 0;
  size_ = 0;
  counts_.clear();
}

}  // namespace shimmy
