#include "sampling/grammar_automaton.h"

#include <algorithm>

namespace shimmy {

using Kind = GrammarElement::Kind;

GrammarAutomaton::GrammarAutomaton(std::shared_ptr<const Grammar> grammar, GrammarLimits limits)
    : grammar_(std::move(grammar)),
      limits_(limits),
      parts_(grammar_->partitions()),
      n_parts_(static_cast<size_t>(grammar_->n_partitions())) {
  // State 0: nothing matches and nothing is complete.
  found_.clear();
  accept_ = false;
  Intern();
  ++stamp_;
  for (uint32_t start : grammar_->alternatives(grammar_->root())) {
    if (!Push(start, 0, kNoParent)) return;
  }
  if (!Closure()) return;
  start_ = Intern();
}

int32_t GrammarAutomaton::Fail(const std::string& message) {
  error_ = Error("grammar: " + message);
  return kError;
}

bool GrammarAutomaton::Push(uint32_t pos, uint32_t count, uint32_t parent) {
  const Node node{pos, count, parent};
  auto [it, inserted] = node_ids_.emplace(node, static_cast<uint32_t>(nodes_.size()));
  if (inserted) {
    if (nodes_.size() >= limits_.max_nodes) {
      node_ids_.erase(it);
      Fail("the parse grew past " + std::to_string(limits_.max_nodes) +
           " stack frames (the grammar is too ambiguous or repeats too much)");
      return false;
    }
    nodes_.push_back(node);
    seen_.push_back(0);
  }
  work_.push_back(it->second);
  return true;
}

bool GrammarAutomaton::Closure() {
  const Grammar& g = *grammar_;
  while (!work_.empty()) {
    const uint32_t id = work_.back();
    work_.pop_back();
    if (seen_[id] == stamp_) continue;
    seen_[id] = stamp_;
    const Node n = nodes_[id];
    const GrammarElement& e = g.element(n.pos);
    switch (e.kind) {
      case Kind::kEnd:
        if (n.parent == kNoParent) {
          accept_ = true;
        } else {
          const Node p = nodes_[n.parent];
          if (!Push(p.pos, Saturate(g.element(p.pos), p.count + 1), p.parent)) return false;
        }
        continue;
      case Kind::kBytes:
        if (n.count < e.max && g.byte_class(e.ref).any()) found_.push_back(id);
        break;
      case Kind::kRule:
        if (n.count < e.max) {
          // When nothing follows this call but returning, the callee returns
          // straight to our caller: the stack stays flat under recursion.
          const bool tail = n.count + 1 >= e.max && g.element(n.pos + 1).kind == Kind::kEnd;
          const uint32_t parent = tail ? n.parent : id;
          for (uint32_t start : g.alternatives(e.ref)) {
            if (!Push(start, 0, parent)) return false;
          }
        }
        break;
    }
    if (n.count >= e.min && !Push(n.pos + 1, 0, n.parent)) return false;
  }
  return true;
}

int32_t GrammarAutomaton::Intern() {
  std::sort(found_.begin(), found_.end());
  found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
  if (found_.size() > limits_.max_stacks_per_state) {
    return Fail("one position has over " + std::to_string(limits_.max_stacks_per_state) +
                " parses (the grammar is too ambiguous)");
  }
  std::string key(reinterpret_cast<const char*>(found_.data()), found_.size() * sizeof(uint32_t));
  key.push_back(accept_ ? '\1' : '\0');
  if (auto it = state_ids_.find(key); it != state_ids_.end()) return it->second;
  if (states_.size() >= limits_.max_states ||
      table_.size() + n_parts_ + stacks_.size() + found_.size() > limits_.max_table_entries) {
    return Fail("the matcher grew past its state limit (" + std::to_string(states_.size()) +
                " states); the grammar is too large or ambiguous");
  }
  const auto id = static_cast<int32_t>(states_.size());
  states_.push_back({static_cast<uint32_t>(stacks_.size()),
                     static_cast<uint32_t>(stacks_.size() + found_.size()), accept_});
  stacks_.insert(stacks_.end(), found_.begin(), found_.end());
  table_.resize(table_.size() + n_parts_, kUnknown);
  state_ids_.emplace(std::move(key), id);
  return id;
}

int32_t GrammarAutomaton::Compute(int32_t state, uint8_t byte) {
  const Grammar& g = *grammar_;
  ++stamp_;
  work_.clear();
  found_.clear();
  accept_ = false;
  const State s = states_[static_cast<size_t>(state)];
  for (uint32_t i = s.begin; i < s.end; ++i) {
    const Node n = nodes_[stacks_[i]];
    const GrammarElement& e = g.element(n.pos);
    if (!g.byte_class(e.ref).test(byte)) continue;
    if (!Push(n.pos, Saturate(e, n.count + 1), n.parent)) return kError;
  }
  if (!Closure()) return kError;
  const int32_t next = Intern();
  if (next == kError) return kError;
  table_[static_cast<size_t>(state) * n_parts_ + parts_[byte]] = next;
  return next;
}

}  // namespace shimmy
