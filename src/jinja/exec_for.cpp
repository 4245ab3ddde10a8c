// {% for %}: iteration, the loop object, lazy `if` filtering and jinja2's
// for-else rule.
#include "jinja/builtins.h"
#include "jinja/interpreter.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

// The per-loop state behind loop.cycle() and loop.changed().
struct LoopState {
  size_t index0 = 0;
  bool has_changed_value = false;
  Value last_changed;
};

// The attribute names of a loop object, built once.
struct LoopKeys {
  Value index{"index"}, index0{"index0"}, first{"first"}, depth{"depth"}, depth0{"depth0"},
      previtem{"previtem"}, cycle{"cycle"}, changed{"changed"}, revindex{"revindex"},
      revindex0{"revindex0"}, last{"last"}, length{"length"}, nextitem{"nextitem"};
};

const LoopKeys& Keys() {
  static const LoopKeys kKeys;
  return kKeys;
}

class LoopCycle : public Function {
 public:
  explicit LoopCycle(std::shared_ptr<LoopState> state) : state_(std::move(state)) {}
  std::string_view name() const override { return "cycle"; }
  Result<Value> Call(Interpreter&, CallArgs args) const override {
    if (args.positional.empty()) return Error("no items for cycling given");
    return args.positional[state_->index0 % args.positional.size()];
  }

 private:
  std::shared_ptr<LoopState> state_;
};

class LoopChanged : public Function {
 public:
  explicit LoopChanged(std::shared_ptr<LoopState> state) : state_(std::move(state)) {}
  std::string_view name() const override { return "changed"; }
  Result<Value> Call(Interpreter&, CallArgs args) const override {
    Value current = Value::FromList(std::move(args.positional));
    if (state_->has_changed_value && Equals(current, state_->last_changed)) return Value(false);
    state_->has_changed_value = true;
    state_->last_changed = std::move(current);
    return Value(true);
  }

 private:
  std::shared_ptr<LoopState> state_;
};
}  // namespace

Result<Interpreter::Flow> Interpreter::ExecFor(const ForStmt& stmt) {
  if (stmt.recursive) return Located(stmt, Error("recursive for loops are not supported"));
  Value iterable;
  SHIMMY_JINJA_ASSIGN(iterable, Eval(*stmt.iter));
  auto listed = Iterate(iterable);
  if (!listed) return Located(*stmt.iter, listed.error());
  List items = std::move(*listed);
  if (auto charged = Charge(static_cast<int64_t>(items.size())); !charged) {
    return Located(stmt, charged.error());
  }
  // Whether an item passes the loop's `if` (evaluated with the target bound).
  auto accept = [&](const Value& item) -> Result<bool> {
    ScopeGuard scope(*this);
    auto assigned = Assign(*stmt.target, item);
    if (!assigned) return Located(stmt, assigned.error());
    Value keep;
    SHIMMY_JINJA_ASSIGN(keep, Eval(*stmt.filter));
    return Truthy(keep);
  };
  // jinja2 filters lazily; filtering up front is only needed when the body
  // asks how many items remain.
  const bool lazy = stmt.filter != nullptr && !stmt.needs_lookahead;
  if (stmt.filter != nullptr && !lazy) {
    List kept;
    for (Value& item : items) {
      bool keep = false;
      SHIMMY_JINJA_ASSIGN(keep, accept(item));
      if (keep) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  auto state = std::make_shared<LoopState>();
  const Value cycle = Value::FromFunction(std::make_shared<LoopCycle>(state));
  const Value changed = Value::FromFunction(std::make_shared<LoopChanged>(state));
  const size_t n = items.size();
  size_t index0 = 0;
  // Like jinja2, the else block runs unless some iteration ran its body to
  // the end (an iteration left by break or continue does not count).
  bool completed_any = false;
  Value previous = Value::Undefined("there is no previous item");
  for (size_t i = 0; i < n; ++i) {
    if (auto charged = Charge(1); !charged) return Located(stmt, charged.error());
    if (lazy) {
      bool keep = false;
      SHIMMY_JINJA_ASSIGN(keep, accept(items[i]));
      if (!keep) continue;
    }
    ScopeGuard scope(*this);
    auto assigned = Assign(*stmt.target, items[i]);
    if (!assigned) return Located(stmt, assigned.error());
    if (stmt.uses_loop) {
      state->index0 = index0;
      const LoopKeys& k = Keys();
      Dict loop;
      loop.Reserve(13);
      loop.AppendNew(k.index, Value(index0 + 1));
      loop.AppendNew(k.index0, Value(index0));
      loop.AppendNew(k.first, Value(index0 == 0));
      loop.AppendNew(k.depth, Value(1));
      loop.AppendNew(k.depth0, Value(0));
      loop.AppendNew(k.previtem, previous);
      loop.AppendNew(k.cycle, cycle);
      loop.AppendNew(k.changed, changed);
      if (!lazy) {
        loop.AppendNew(k.revindex, Value(n - i));
        loop.AppendNew(k.revindex0, Value(n - i - 1));
        loop.AppendNew(k.last, Value(i + 1 == n));
        loop.AppendNew(k.length, Value(n));
        loop.AppendNew(k.nextitem,
                       i + 1 < n ? items[i + 1] : Value::Undefined("there is no next item"));
      }
      frame_->Set("loop", Value::FromDict(std::move(loop)));
    }
    Flow flow;
    SHIMMY_JINJA_ASSIGN(flow, ExecBody(stmt.body));
    if (flow == Flow::kBreak) break;
    if (flow == Flow::kNormal) completed_any = true;
    previous = items[i];
    ++index0;
  }
  if (!completed_any) {
    ScopeGuard scope(*this);
    SHIMMY_JINJA_CHECK(ExecBody(stmt.else_body));
  }
  return Flow::kNormal;
}

}  // namespace shimmy::jinja
