// Macros and {% call %} bodies: binding arguments Python-style and
// rendering the body in a frame whose parent is the defining scope.
#include "jinja/interpreter.h"
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

}  // namespace

Value MakeMacro(std::shared_ptr<const MacroDef> def, std::shared_ptr<Frame> closure) {
  return Value::FromFunction(std::make_shared<MacroFunction>(std::move(def), std::move(closure)));
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
