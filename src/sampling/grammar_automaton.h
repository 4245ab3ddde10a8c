// The grammar's pushdown automaton, determinised lazily: a GrammarMatcher's
// engine room (use GrammarMatcher, not this, from outside sampling/).
//
// A parse position is a stack of frames (element index, repetitions done),
// one per rule being matched, innermost on top. Frames are interned nodes
// (frame + parent node), so equal stacks are one id and stacks share tails.
// A *state* is the set of stacks whose top is a byte class that may match
// next, plus whether the input so far is a complete sentence. States are
// interned too, and the transition on each byte partition is computed once
// and cached in a table, so after warm-up a step is one array lookup - the
// trie walk that builds a token mask runs at that speed.
//
// Counts of unbounded repetitions saturate at their minimum and a call whose
// continuation is just "return" reuses the caller's frame (tail call), so
// "x*" and right recursion keep the stack flat and the state set finite.
//
// Limits bound memory for hostile grammars: interned nodes, states, stacks
// per state, and the transition table. Past one, Step returns kError and
// error() says which; the automaton stays usable for states already built.
// Not thread-safe; one per matcher. Memory: ~40 bytes per node, 4 bytes per
// stack in a state, 4 bytes per (state, byte partition).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "sampling/grammar.h"

namespace shimmy {

struct GrammarLimits {
  size_t max_nodes = 1u << 20;
  size_t max_states = 1u << 17;
  size_t max_stacks_per_state = 1u << 12;
  size_t max_table_entries = 1u << 24;      // transitions, and stacks of all states (int32 each)
  size_t max_mask_cache_bytes = 32u << 20;  // GrammarMatcher's cached masks (0: none)
};

class GrammarAutomaton {
 public:
  static constexpr int32_t kDead = 0;    // the empty, non-accepting state
  static constexpr int32_t kError = -2;  // a limit was hit; see error()

  GrammarAutomaton(std::shared_ptr<const Grammar> grammar, GrammarLimits limits);

  // The state before any byte; kError if even that hits a limit.
  int32_t start() const { return start_; }

  // The state after `byte` from `state` (a valid, non-error state).
  int32_t Step(int32_t state, uint8_t byte) {
    const int32_t next = table_[static_cast<size_t>(state) * n_parts_ + parts_[byte]];
    return next != kUnknown ? next : Compute(state, byte);
  }

  bool accepting(int32_t state) const { return states_[static_cast<size_t>(state)].accept; }
  // Some byte may follow (the state has stacks).
  bool can_continue(int32_t state) const {
    const State& s = states_[static_cast<size_t>(state)];
    return s.end > s.begin;
  }
  const Error& error() const { return error_; }
  size_t n_states() const { return states_.size(); }
  size_t n_nodes() const { return nodes_.size(); }

 private:
  static constexpr int32_t kUnknown = -1;
  static constexpr uint32_t kNoParent = UINT32_MAX;

  struct Node {
    uint32_t pos;     // element index
    uint32_t count;   // repetitions of that element completed
    uint32_t parent;  // node id or kNoParent
    bool operator==(const Node&) const = default;
  };
  struct NodeHash {
    size_t operator()(const Node& n) const {
      uint64_t h = (uint64_t{n.pos} << 32 | n.count) * 0x9E3779B97F4A7C15ull;
      return static_cast<size_t>(h ^ (uint64_t{n.parent} * 0xC2B2AE3D27D4EB4Full) ^ (h >> 29));
    }
  };
  struct State {
    uint32_t begin, end;  // stacks (node ids) in stacks_[begin, end), sorted
    bool accept;
  };

  int32_t Compute(int32_t state, uint8_t byte);
  // Adds to `work_` the node for a frame; false when over the node limit.
  bool Push(uint32_t pos, uint32_t count, uint32_t parent);
  // Expands work_ to stacks with a byte class on top (into found_).
  bool Closure();
  int32_t Intern();
  int32_t Fail(const std::string& message);
  uint32_t Saturate(const GrammarElement& e, uint32_t count) const {
    return e.max == GrammarElement::kUnbounded && count > e.min ? e.min : count;
  }

  std::shared_ptr<const Grammar> grammar_;
  GrammarLimits limits_;
  std::array<uint8_t, 256> parts_;
  size_t n_parts_;

  std::vector<Node> nodes_;
  std::unordered_map<Node, uint32_t, NodeHash> node_ids_;
  std::vector<uint32_t> stacks_;
  std::vector<State> states_;
  std::unordered_map<std::string, int32_t> state_ids_;  // sorted ids + accept, as bytes
  std::vector<int32_t> table_;                          // n_states x n_parts

  // Scratch for Compute.
  std::vector<uint32_t> work_;
  std::vector<uint32_t> found_;
  std::vector<uint32_t> seen_;  // per node: the stamp of the closure that saw it
  uint32_t stamp_ = 0;
  bool accept_ = false;

  int32_t start_ = kError;
  Error error_;
};

}  // namespace shimmy
