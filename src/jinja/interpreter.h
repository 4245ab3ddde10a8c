// Walks a parsed template and produces its output. One Interpreter serves one
// Render call and is not thread-safe. Internal to src/jinja: builtins use it
// to call filters, tests and callables and to charge work to the budget.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "jinja/ast.h"
#include "jinja/template.h"
#include "jinja/value.h"

namespace shimmy::jinja {

// A variable scope. Loop iterations, macro calls and blocks push a frame
// whose parent is the scope they were defined in; macros keep their
// defining frame alive.
struct Frame {
  explicit Frame(std::shared_ptr<Frame> parent_frame) : parent(std::move(parent_frame)) {}
  const Value* Find(std::string_view name) const;
  void Set(const std::string& name, Value value);

  std::shared_ptr<Frame> parent;
  std::vector<std::pair<std::string, Value>> vars;
};

// A callable for a macro or call-block body that closes over `closure`.
Value MakeMacro(std::shared_ptr<const MacroDef> def, std::shared_ptr<Frame> closure);

class Interpreter {
 public:
  explicit Interpreter(const RenderOptions& options) : options_(options) {}
  ~Interpreter();

  Result<std::string> Render(const Body& body, const Value& context);

  // ---- For builtins ----
  Result<Value> CallFilter(std::string_view name, const Value& input, const CallArgs& args);
  Result<bool> CallTest(std::string_view name, const Value& input, const CallArgs& args);
  Result<Value> CallValue(const Value& callee, CallArgs args);
  // obj.name with jinja2's lookup order (attribute, then item).
  Value GetAttr(const Value& obj, std::string_view name);
  // obj[key] with jinja2's lookup order (item, then attribute). Fails only
  // when obj is Undefined.
  Result<Value> GetItem(const Value& obj, const Value& key);
  // Fails when a string or list of `n` bytes/items would exceed the budget.
  Status CheckSize(size_t n) const;
  // Charges `n` steps to the budget.
  Status Charge(int64_t n);
  // Charges a built-in call by the size of what it read and made (a list
  // item or 16 string bytes is one step) and checks the result's size.
  Status ChargeCall(const Value& input, const CallArgs& args, const Value& result);
  std::tm Now() const;
  // Renders a macro or caller body for a call.
  Result<Value> InvokeMacro(const MacroDef& def, const std::shared_ptr<Frame>& closure,
                            CallArgs args);
  // Keeps namespaces alive until the render ends, then clears them (a
  // namespace may refer to itself).
  void TrackNamespace(const Value& ns) { namespaces_.push_back(ns); }

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  // Pushes a fresh frame for the lifetime of the guard.
  class ScopeGuard {
   public:
    explicit ScopeGuard(Interpreter& interp) : interp_(interp), saved_(interp.frame_) {
      interp.frame_ = std::make_shared<Frame>(saved_);
    }
    ~ScopeGuard() { interp_.frame_ = std::move(saved_); }

   private:
    Interpreter& interp_;
    std::shared_ptr<Frame> saved_;
  };

  // Statements (interpreter.cpp).
  Result<Flow> ExecBody(const Body& body);
  Result<Flow> ExecStmt(const Stmt& stmt);
  Result<Flow> ExecFor(const ForStmt& stmt);
  Status ExecSet(const SetStmt& stmt);
  Status Assign(const Expr& target, const Value& value);
  Result<std::string> Capture(const Body& body);
  Result<Value> ApplyFilterChain(const Expr& chain, const Value& input);
  Status Emit(std::string_view text);

  // Expressions (eval_expr.cpp).
  Result<Value> Eval(const Expr& e);
  Result<Value> EvalName(const NameExpr& e);
  Result<Value> EvalCall(const CallExpr& e);
  Result<Value> EvalFilter(const FilterExpr& e, const Value* body_input);
  Result<Value> EvalTest(const TestExpr& e);
  Result<Value> EvalBinary(const BinaryExpr& e);
  Result<Value> EvalCompare(const CompareExpr& e);
  Result<Value> EvalSlice(const SliceExpr& e);
  Result<CallArgs> EvalArgs(const Args& args);
  // Prefixes the location of `at` unless the error already has one.
  Error Located(const Node& at, const Error& error);

  const RenderOptions& options_;
  std::shared_ptr<Frame> frame_;
  std::string* out_ = nullptr;
  int64_t steps_ = 0;
  int call_depth_ = 0;
  bool error_located_ = false;
  std::vector<Value> namespaces_;
  // Frames that hold a macro, which holds the frame: cleared at the end.
  std::vector<std::shared_ptr<Frame>> macro_frames_;
};

}  // namespace shimmy::jinja
