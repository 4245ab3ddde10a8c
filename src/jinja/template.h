// A Jinja2 template engine of our own for chat templates, rendering the way
// Python jinja2 does under Hugging Face's apply_chat_template configuration
// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
// the {% generation %} tag, HF's tojson, raise_exception, strftime_now).
//
// Usage:
//   auto tmpl = jinja::Template::Parse(source);            // once per model
//   if (!tmpl) return tmpl.error();
//   auto ctx = jinja::Value::FromJson(json_context);      // messages, tools...
//   auto text = (*tmpl)->Render(*ctx);                    // per request
//
// A parsed Template is immutable; Render may run concurrently from several
// threads on the same Template (each call has its own state). Errors are
// values: syntax errors from Parse and runtime errors from Render carry
// "line L, column C: " and jinja2's message; raise_exception(msg) yields an
// error whose message ends with msg. Render never aborts on hostile input:
// RenderOptions bounds work, output size and macro recursion.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"
#include "jinja/ast.h"
#include "jinja/value.h"

namespace shimmy::jinja {

struct RenderOptions {
  // Budget of evaluation steps (statements, expressions, loop iterations).
  int64_t max_steps = 10'000'000;
  // Largest output, and largest string or list built along the way.
  size_t max_bytes = size_t{32} << 20;
  // Deepest macro call nesting. Each level takes a few KB of the calling
  // thread's stack (about 0.4 MB at the default in optimised builds).
  int max_call_depth = 100;
  // Clock for strftime_now(), as broken-down local time. Empty: the
  // current local time.
  std::function<std::tm()> now;
};

class Template {
 public:
  static Result<std::shared_ptr<const Template>> Parse(std::string_view source);

  // `context` must be a dict (or Undefined for no variables); its entries
  // become the template's variables.
  Result<std::string> Render(const Value& context, const RenderOptions& options = {}) const;
  Result<std::string> Render(const nlohmann::ordered_json& context,
                             const RenderOptions& options = {}) const;

 private:
  explicit Template(Body body) : body_(std::move(body)) {}
  Body body_;
};

}  // namespace shimmy::jinja
