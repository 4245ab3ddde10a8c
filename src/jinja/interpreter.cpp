#include "jinja/interpreter.h"

#include <chrono>

#include "jinja/builtins.h"
#include "jinja/try.h"

namespace shimmy::jinja {

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

namespace {

int64_t WorkUnits(const Value& v) {
  if (v.is_string()) return static_cast<int64_t>(v.str().size() / 16);
  if (v.is_list()) return static_cast<int64_t>(v.list().size());
  if (v.is_dict()) return static_cast<int64_t>(v.dict().size());
  return 0;
}

}  // namespace

Status Interpreter::ChargeCall(const Value& input, const CallArgs& args, const Value& result) {
  int64_t units = 1 + WorkUnits(input) + WorkUnits(result);
  for (const Value& v : args.positional) units += WorkUnits(v);
  for (const auto& [name, v] : args.keywords) units += WorkUnits(v);
  if (result.is_string()) SHIMMY_JINJA_CHECK(CheckSize(result.str().size()));
  return Charge(units);
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
      frame_->Set(s.def->name, MakeMacro(s.def, frame_));
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
      args.keywords.emplace_back("caller", MakeMacro(s.caller, frame_));
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

}  // namespace shimmy::jinja
