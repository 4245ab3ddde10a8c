#include "sampling/grammar.h"

#include <map>

namespace shimmy {
namespace {

using Kind = GrammarElement::Kind;

// Per-rule fixed point: `rule_ok[r]` becomes true when some alternative of r
// has every element `element_ok`. Used for "can match empty" (nullable) and
// "can finish at all" (productive).
template <class ElementOk>
std::vector<bool> FixedPoint(const Grammar& g, ElementOk element_ok) {
  std::vector<bool> rule_ok(g.n_rules(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t r = 0; r < g.n_rules(); ++r) {
      if (rule_ok[r]) continue;
      for (uint32_t start : g.alternatives(r)) {
        bool all = true;
        for (uint32_t p = start; g.element(p).kind != Kind::kEnd && all; ++p) {
          all = element_ok(g.element(p), rule_ok);
        }
        if (all) {
          rule_ok[r] = changed = true;
          break;
        }
      }
    }
  }
  return rule_ok;
}

}  // namespace

uint32_t GrammarBuilder::Rule(const std::string& name) {
  auto [it, inserted] = by_name_.emplace(name, static_cast<uint32_t>(names_.size()));
  if (!inserted) return it->second;
  names_.push_back(name);
  defined_.push_back(false);
  rules_.emplace_back();
  return static_cast<uint32_t>(names_.size() - 1);
}

uint32_t GrammarBuilder::AnonymousRule(const std::string& hint) {
  names_.push_back(hint + "#" + std::to_string(names_.size()));
  defined_.push_back(false);
  rules_.emplace_back();
  return static_cast<uint32_t>(names_.size() - 1);
}

Status GrammarBuilder::Define(uint32_t rule,
                              std::vector<std::vector<GrammarElement>> alternatives) {
  if (defined_[rule]) return Error("rule '" + names_[rule] + "' is defined twice");
  for (const auto& alt : alternatives) n_elements_ += alt.size() + 1;
  if (n_elements_ > kMaxElements || names_.size() > kMaxRules) {
    return Error("the grammar is too large (over " + std::to_string(kMaxElements) +
                 " elements or " + std::to_string(kMaxRules) + " rules)");
  }
  defined_[rule] = true;
  rules_[rule] = std::move(alternatives);
  return {};
}

uint32_t GrammarBuilder::ByteClass(const ByteSet& set) {
  auto [it, inserted] = by_class_.emplace(set.to_string(), static_cast<uint32_t>(classes_.size()));
  if (!inserted) return it->second;
  classes_.push_back(set);
  return static_cast<uint32_t>(classes_.size() - 1);
}

Result<std::shared_ptr<const Grammar>> GrammarBuilder::Build(const std::string& root_name) {
  std::shared_ptr<Grammar> g(new Grammar());
  auto found = by_name_.find(root_name);
  if (found == by_name_.end()) return Error("the grammar has no '" + root_name + "' rule");
  const uint32_t root = found->second;
  for (uint32_t r = 0; r < names_.size(); ++r) {
    if (!defined_[r]) return Error("rule '" + names_[r] + "' is used but never defined");
  }
  g->root_ = root;
  g->rule_names_ = std::move(names_);
  g->classes_ = std::move(classes_);
  g->rule_alts_.push_back(0);
  for (auto& alts : rules_) {
    for (auto& alt : alts) {
      g->alt_starts_.push_back(static_cast<uint32_t>(g->elements_.size()));
      for (const GrammarElement& e : alt) {
        if (e.min > e.max) return Error("a repetition has min > max");
        g->elements_.push_back(e);
      }
      g->elements_.push_back(GrammarElement{});  // kEnd
    }
    g->rule_alts_.push_back(static_cast<uint32_t>(g->alt_starts_.size()));
  }
  rules_.clear();

  // Split 0..255 into the coarsest partition that every class respects.
  g->partition_.fill(0);
  int n = 1;
  for (const ByteSet& set : g->classes_) {
    std::vector<int> relabel(static_cast<size_t>(n) * 2, -1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      int& slot = relabel[static_cast<size_t>(g->partition_[b]) * 2 + (set.test(b) ? 1 : 0)];
      if (slot < 0) slot = next++;
      g->partition_[b] = static_cast<uint8_t>(slot);
    }
    n = next;
  }
  g->n_partitions_ = n;

  if (auto st = Validate(*g); !st) return st.error();
  return std::shared_ptr<const Grammar>(std::move(g));
}

Status GrammarBuilder::Validate(const Grammar& g) const {
  const auto nullable = FixedPoint(g, [](const GrammarElement& e, const std::vector<bool>& ok) {
    return e.min == 0 || (e.kind == Kind::kRule && ok[e.ref]);
  });
  const auto productive = FixedPoint(g, [&](const GrammarElement& e, const std::vector<bool>& ok) {
    if (e.min == 0) return true;
    return e.kind == Kind::kBytes ? g.byte_class(e.ref).any() : ok[e.ref];
  });

  // Depth-first over the rules reachable from the root. Reachable rules
  // must be able to finish; an edge "left" means the callee starts before
  // any byte of the caller is consumed, and a cycle of those never ends.
  enum : uint8_t { kNew, kOpen, kDone };
  std::vector<uint8_t> left_state(g.n_rules(), kNew);
  std::vector<bool> reached(g.n_rules(), false);
  struct Frame {
    uint32_t rule;
    std::vector<uint32_t> left;  // left callees still to visit
    size_t next = 0;
  };
  auto left_callees = [&](uint32_t r) {
    std::vector<uint32_t> out;
    for (uint32_t start : g.alternatives(r)) {
      for (uint32_t p = start; g.element(p).kind != Kind::kEnd; ++p) {
        const GrammarElement& e = g.element(p);
        if (e.kind == Kind::kRule && e.max > 0) out.push_back(e.ref);
        if (!(e.min == 0 || (e.kind == Kind::kRule && nullable[e.ref]))) break;
      }
    }
    return out;
  };
  std::vector<uint32_t> todo = {g.root()};
  reached[g.root()] = true;
  while (!todo.empty()) {
    const uint32_t r = todo.back();
    todo.pop_back();
    if (!productive[r]) return Error("rule '" + g.rule_name(r) + "' can never finish");
    for (uint32_t start : g.alternatives(r)) {
      for (uint32_t p = start; g.element(p).kind != Kind::kEnd; ++p) {
        const GrammarElement& e = g.element(p);
        if (e.kind == Kind::kRule && e.max > 0 && !reached[e.ref]) {
          reached[e.ref] = true;
          todo.push_back(e.ref);
        }
      }
    }
    if (left_state[r] != kNew) continue;
    std::vector<Frame> stack;
    stack.push_back({r, left_callees(r)});
    left_state[r] = kOpen;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.left.size()) {
        left_state[f.rule] = kDone;
        stack.pop_back();
        continue;
      }
      const uint32_t callee = f.left[f.next++];
      if (left_state[callee] == kOpen) {
        return Error("rule '" + g.rule_name(callee) + "' is left-recursive");
      }
      if (left_state[callee] == kNew) {
        left_state[callee] = kOpen;
        stack.push_back({callee, left_callees(callee)});
      }
    }
  }
  return {};
}

}  // namespace shimmy
