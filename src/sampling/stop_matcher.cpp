#include "sampling/stop_matcher.h"

#include <algorithm>
#include <utility>

namespace shimmy {

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

StopMatcher::Output StopMatcher::Feed(std::string_view piece) {
  Output out;
  if (stopped()) {
    out.stopped = true;
    out.stop_index = stop_index_;
    return out;
  }
  held_.append(piece);

  // Earliest occurrence of any stop. Nothing before held_ needs searching:
  // emitted text never contained the start of a possible match.
  size_t first = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    if (stops_[i].empty()) continue;
    const size_t pos = held_.find(stops_[i]);
    if (pos < first) {
      first = pos;
      stop_index_ = static_cast<int>(i);
    }
  }
  if (first != std::string::npos) {
    out.text = held_.substr(0, first);
    out.stopped = true;
    out.stop_index = stop_index_;
    held_.clear();
    return out;
  }

  const size_t keep = PartialMatchLength();
  out.text = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopMatcher::Flush() {
  std::string rest = std::move(held_);
  held_.clear();
  return rest;
}

size_t StopMatcher::PartialMatchLength() const {
  const std::string_view held(held_);
  size_t best = 0;
  for (const std::string& stop : stops_) {
    // Proper prefixes only: a whole stop would have been found already.
    const size_t longest = std::min(stop.size() - (stop.empty() ? 0 : 1), held.size());
    for (size_t len = longest; len > best; --len) {
      if (held.substr(held.size() - len) == std::string_view(stop).substr(0, len)) {
        best = len;
        break;
      }
    }
  }
  return best;
}

}  // namespace shimmy
