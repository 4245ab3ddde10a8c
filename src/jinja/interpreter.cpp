#include "jinja/interpreter.h"

#include <chrono>

#include "jinja/builtins.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

// A macro (or the body of a {% call %} block) bound to the scope it was
// defined in.
class MacroFunction : public Function {
 public:
  MacroFunction(std::shared_ptr<const MacroDef> def, std::shared_ptr<Frame> closure)
      : def_(std::move(def)), closure_(std::move(closure)) {}

  std::string_view name() const override { return def_->name; }
  std::string Describe() const override { return "<Macro '" + def_->name + "'>"; }
  Result<Value> Call(Interpreter& interp, CallArgs args) const override {
    return interp.InvokeMacro(*def_, closure_, std::move(args));
  }

 private:
  std::shared_ptr<const MacroDef> def_;
  std::shared_ptr<Frame> closure_;
};

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

const Value* Frame::Find(std::string_view name) const {
  for (const auto& [key, value] : vars) {
    if (key == name) return &value;
  }
  return nullptr;
}

void Frame::Set(const std::string& name, Value value) {
  for (auto& [key, slot] : vars) {
    if (key == name) {
      slot = std::move(value);
      return;
    }
  }
  vars.emplace_back(name, std::move(value));
}

Interpreter::~Interpreter() {
  // Break reference cycles: namespaces (`set ns.self = ns`) and frames
  // holding macros that hold the frame as their closure.
  for (const Value& ns : namespaces_) ns.namespace_dict().Clear();
  for (const auto& frame : macro_frames_) frame->vars.clear();
}

std::tm Interpreter::Now() const {
  if (options_.now) return options_.now();
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

Status Interpreter::CheckSize(size_t n) const {
  if (n > options_.max_bytes) {
    return Error("result too large (limit " + std::to_string(options_.max_bytes) + ")");
  }
  return {};
}

Status Interpreter::Charge(int64_t n) {
  steps_ += n;
  if (steps_ > options_.max_steps) {
    return Error("template exceeded its evaluation budget of " +
                 std::to_string(options_.max_steps) + " steps");
  }
  return {};
}

Error Interpreter::Located(const Node& at, const Error& error) {
  if (error_located_) return error;
  error_located_ = true;
  return Error("line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " +
               error.message());
}

Status Interpreter::Emit(std::string_view text) {
  if (out_->size() + text.size() > options_.max_bytes) {
    return Error("output too large (limit " + std::to_string(options_.max_bytes) + " bytes)");
  }
  out_->append(text);
  return {};
}

Result<std::string> Interpreter::Render(const Body& body, const Value& context) {
  frame_ = std::make_shared<Frame>(nullptr);
  if (context.is_dict()) {
    for (const auto& [key, value] : context.dict().entries()) {
      frame_->Set(ToStr(key), value);
    }
  } else if (!context.is_undefined()) {
    return Error("the render context must be a dict, not " + TypeName(context));
  }
  std::string out;
  out_ = &out;
  auto flow = ExecBody(body);
  if (!flow) return flow.error();
  frame_.reset();
  return out;
}

Result<std::string> Interpreter::Capture(const Body& body) {
  std::string buffer;
  std::string* saved = out_;
  out_ = &buffer;
  auto flow = ExecBody(body);
  out_ = saved;
  if (!flow) return flow.error();
  return buffer;
}

Result<Interpreter::Flow> Interpreter::ExecBody(const Body& body) {
  for (const auto& stmt : body) {
    Flow flow;
    SHIMMY_JINJA_ASSIGN(flow, ExecStmt(*stmt));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Result<Interpreter::Flow> Interpreter::ExecStmt(const Stmt& stmt) {
  if (auto charged = Charge(1); !charged) return Located(stmt, charged.error());
  switch (stmt.kind) {
    case StmtKind::kText: {
      auto emitted = Emit(static_cast<const TextStmt&>(stmt).text);
      if (!emitted) return Located(stmt, emitted.error());
      return Flow::kNormal;
    }
    case StmtKind::kPrint: {
      Value v;
      SHIMMY_JINJA_ASSIGN(v, Eval(*static_cast<const PrintStmt&>(stmt).expr));
      auto emitted = Emit(ToStr(v));
      if (!emitted) return Located(stmt, emitted.error());
      return Flow::kNormal;
    }
    case StmtKind::kIf: {
      const auto& s = static_cast<const IfStmt&>(stmt);
      for (const auto& [cond, body] : s.branches) {
        Value v;
        SHIMMY_JINJA_ASSIGN(v, Eval(*cond));
        if (Truthy(v)) return ExecBody(body);
      }
      return ExecBody(s.else_body);
    }
    case StmtKind::kFor:
      return ExecFor(static_cast<const ForStmt&>(stmt));
    case StmtKind::kSet:
      SHIMMY_JINJA_CHECK(ExecSet(static_cast<const SetStmt&>(stmt)));
      return Flow::kNormal;
    case StmtKind::kSetBlock: {
      const auto& s = static_cast<const SetBlockStmt&>(stmt);
      std::string text;
      {
        ScopeGuard scope(*this);
        SHIMMY_JINJA_ASSIGN(text, Capture(s.body));
      }
      Value v(std::move(text));
      if (s.filter) {
        SHIMMY_JINJA_ASSIGN(v, ApplyFilterChain(*s.filter, v));
      }
      auto assigned = Assign(*s.target, v);
      if (!assigned) return Located(stmt, assigned.error());
      return Flow::kNormal;
    }
    case StmtKind::kMacro: {
      const auto& s = static_cast<const MacroStmt&>(stmt);
      frame_->Set(s.def->name,
                  Value::FromFunction(std::make_shared<MacroFunction>(s.def, frame_)));
      macro_frames_.push_back(frame_);
      return Flow::kNormal;
    }
    case StmtKind::kCallBlock: {
      const auto& s = static_cast<const CallBlockStmt&>(stmt);
      const auto& call = static_cast<const CallExpr&>(*s.call);
      Value callee;
      SHIMMY_JINJA_ASSIGN(callee, Eval(*call.callee));
      CallArgs args;
      SHIMMY_JINJA_ASSIGN(args, EvalArgs(call.args));
      args.keywords.emplace_back(
          "caller", Value::FromFunction(std::make_shared<MacroFunction>(s.caller, frame_)));
      auto result = CallValue(callee, std::move(args));
      if (!result) return Located(stmt, result.error());
      auto emitted = Emit(ToStr(*result));
      if (!emitted) return Located(stmt, emitted.error());
      return Flow::kNormal;
    }
    case StmtKind::kFilterBlock: {
      const auto& s = static_cast<const FilterBlockStmt&>(stmt);
      std::string text;
      {
        ScopeGuard scope(*this);
        SHIMMY_JINJA_ASSIGN(text, Capture(s.body));
      }
      Value v;
      SHIMMY_JINJA_ASSIGN(v, ApplyFilterChain(*s.filter, Value(std::move(text))));
      auto emitted = Emit(ToStr(v));
      if (!emitted) return Located(stmt, emitted.error());
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      const auto& s = static_cast<const WithStmt&>(stmt);
      std::vector<Value> values;
      for (const auto& [target, value] : s.assignments) {
        Value v;
        SHIMMY_JINJA_ASSIGN(v, Eval(*value));
        values.push_back(std::move(v));
      }
      ScopeGuard scope(*this);
      for (size_t i = 0; i < values.size(); ++i) {
        auto assigned = Assign(*s.assignments[i].first, values[i]);
        if (!assigned) return Located(stmt, assigned.error());
      }
      Flow flow;
      SHIMMY_JINJA_ASSIGN(flow, ExecBody(s.body));
      return flow;
    }
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
    case StmtKind::kScope: {
      ScopeGuard scope(*this);
      Flow flow;
      SHIMMY_JINJA_ASSIGN(flow, ExecBody(static_cast<const ScopeStmt&>(stmt).body));
      return flow;
    }
  }
  return Flow::kNormal;
}

Result<Interpreter::Flow> Interpreter::ExecFor(const ForStmt& stmt) {
  if (stmt.recursive) return Located(stmt, Error("recursive for loops are not supported"));
  Value iterable;
  SHIMMY_JINJA_ASSIGN(iterable, Eval(*stmt.iter));
  auto listed = Iterate(iterable);
  if (!listed) return Located(*stmt.iter, listed.error());
  List items = std::move(*listed);
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

Status Interpreter::ExecSet(const SetStmt& stmt) {
  Value v;
  SHIMMY_JINJA_ASSIGN(v, Eval(*stmt.value));
  auto assigned = Assign(*stmt.target, v);
  if (!assigned) return Located(stmt, assigned.error());
  return {};
}

Status Interpreter::Assign(const Expr& target, const Value& value) {
  switch (target.kind) {
    case ExprKind::kName:
      frame_->Set(static_cast<const NameExpr&>(target).name, value);
      return {};
    case ExprKind::kAttr: {
      const auto& attr = static_cast<const AttrExpr&>(target);
      const auto& ns_name = static_cast<const NameExpr&>(*attr.object).name;
      Value ns;
      SHIMMY_JINJA_ASSIGN(ns, EvalName(static_cast<const NameExpr&>(*attr.object)));
      if (!ns.is_namespace()) {
        return Error("cannot assign attribute on non-namespace object '" + ns_name + "'");
      }
      if (value.nesting() + 1 > kMaxNesting) return Error("value nested too deeply");
      ns.namespace_dict().Set(Value(attr.name), value);
      return {};
    }
    case ExprKind::kSequence: {
      const auto& targets = static_cast<const SequenceExpr&>(target).items;
      List items;
      SHIMMY_JINJA_ASSIGN(items, Iterate(value));
      if (items.size() != targets.size()) {
        if (items.size() > targets.size()) {
          return Error("too many values to unpack (expected " + std::to_string(targets.size()) +
                       ")");
        }
        return Error("not enough values to unpack (expected " + std::to_string(targets.size()) +
                     ", got " + std::to_string(items.size()) + ")");
      }
      for (size_t i = 0; i < items.size(); ++i) SHIMMY_JINJA_CHECK(Assign(*targets[i], items[i]));
      return {};
    }
    default:
      return Error("cannot assign to this expression");
  }
}

Result<Value> Interpreter::ApplyFilterChain(const Expr& chain, const Value& input) {
  return EvalFilter(static_cast<const FilterExpr&>(chain), &input);
}

Result<Value> Interpreter::InvokeMacro(const MacroDef& def, const std::shared_ptr<Frame>& closure,
                                       CallArgs args) {
  if (call_depth_ >= options_.max_call_depth) {
    return Error("macro calls nested deeper than " + std::to_string(options_.max_call_depth) +
                 " (infinite recursion?)");
  }
  const size_t n_params = def.params.size();
  if (args.positional.size() > n_params && !def.uses_varargs) {
    return Error("macro '" + def.name + "' takes not more than " + std::to_string(n_params) +
                 " argument(s)");
  }
  auto frame = std::make_shared<Frame>(closure);
  std::vector<bool> given(n_params, false);
  for (size_t i = 0; i < n_params && i < args.positional.size(); ++i) {
    frame->Set(def.params[i], args.positional[i]);
    given[i] = true;
  }
  Dict extra_kwargs;
  for (auto& [name, value] : args.keywords) {
    size_t i = 0;
    while (i < n_params && def.params[i] != name) ++i;
    if (i < n_params) {
      if (given[i])
        return Error("macro '" + def.name + "' got multiple values for argument '" + name + "'");
      frame->Set(name, std::move(value));
      given[i] = true;
    } else if (name == "caller" && def.uses_caller) {
      frame->Set("caller", std::move(value));
    } else if (def.uses_kwargs) {
      extra_kwargs.Set(Value(name), std::move(value));
    } else {
      return Error("macro '" + def.name + "' takes no keyword argument '" + name + "'");
    }
  }
  if (def.uses_varargs) {
    List rest;
    for (size_t i = n_params; i < args.positional.size(); ++i) rest.push_back(args.positional[i]);
    frame->Set("varargs", Value::FromList(std::move(rest), SeqKind::kTuple));
  }
  if (def.uses_kwargs) frame->Set("kwargs", Value::FromDict(std::move(extra_kwargs)));
  if (def.uses_caller && frame->Find("caller") == nullptr) {
    frame->Set("caller", Value::Undefined("No caller defined"));
  }

  ++call_depth_;
  std::shared_ptr<Frame> saved = std::move(frame_);
  frame_ = frame;
  Result<std::string> text = std::string();
  // Defaults are evaluated at call time, in the macro's scope, so they can
  // refer to earlier parameters.
  for (size_t i = 0; i < n_params; ++i) {
    if (given[i]) continue;
    if (def.defaults[i] == nullptr) {
      frame->Set(def.params[i],
                 Value::Undefined("parameter '" + def.params[i] + "' was not provided"));
      continue;
    }
    auto v = Eval(*def.defaults[i]);
    if (!v) {
      text = v.error();
      break;
    }
    frame->Set(def.params[i], std::move(*v));
  }
  if (text) text = Capture(def.body);
  frame_ = std::move(saved);
  --call_depth_;
  if (!text) return text.error();
  return Value(std::move(*text));
}

}  // namespace shimmy::jinja
