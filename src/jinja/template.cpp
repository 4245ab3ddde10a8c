#include "jinja/template.h"

#include "jinja/interpreter.h"
#include "jinja/lexer.h"
#include "jinja/parser.h"

namespace shimmy::jinja {

Result<std::shared_ptr<const Template>> Template::Parse(std::string_view source) {
  auto tokens = Tokenize(source);
  if (!tokens) return tokens.error().Context("template syntax error");
  auto body = jinja::Parse(std::move(*tokens));
  if (!body) return body.error().Context("template syntax error");
  return std::shared_ptr<const Template>(new Template(std::move(*body)));
}

Result<std::string> Template::Render(const Value& context, const RenderOptions& options) const {
  Interpreter interpreter(options);
  return interpreter.Render(body_, context);
}

Result<std::string> Template::Render(const nlohmann::ordered_json& context,
                                     const RenderOptions& options) const {
  auto value = Value::FromJson(context);
  if (!value) return value.error().Context("render context");
  return Render(*value, options);
}

}  // namespace shimmy::jinja
