// shimmy template: render a chat template for a conversation, exactly as the
// server would format the prompt (or, by default, exactly as Hugging Face's
// apply_chat_template would for the messages as given).
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <sstream>

#include "app/commands.h"
#include "app/model_arg.h"
#include "chat/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace shimmy::app {
namespace {

struct TemplateOptions {
  std::string template_file;
  std::string model;
  std::string input = "-";
  std::string now;  // YYYY-MM-DD for strftime_now
  bool normalize = false;
};

Result<std::string> ReadAll(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<chat::ChatTemplate> LoadTemplate(const TemplateOptions& o, const chat::Json& input) {
  const std::string bos = input.value("bos_token", std::string());
  const std::string eos = input.value("eos_token", std::string());
  if (!o.template_file.empty()) {
    auto source = ReadAll(o.template_file);
    if (!source) return source.error();
    return chat::ChatTemplate::FromSource(*source, bos, eos, o.template_file);
  }
  auto model = ResolveModelArg(o.model);
  if (!model) return model.error();
  auto file = gguf::GgufFile::Open(model->path);
  if (!file) return file.error();
  auto tok = Tokenizer::FromGguf(*file);
  if (!tok) return tok.error();
  return chat::ChatTemplate::ForModel(*file, tok->vocab());
}

Result<std::tm> ParseDate(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%d");
  if (in.fail()) return Error("--now wants YYYY-MM-DD, got '" + text + "'");
  return tm;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return kExitRuntime;
}

int RunTemplate(const TemplateOptions& o) {
  if (o.template_file.empty() == o.model.empty()) {
    std::fprintf(stderr, "error: give exactly one of --template and --model\n");
    return kExitUsage;
  }
  auto text = ReadAll(o.input);
  if (!text) return Fail(text.error().message());
  chat::Json input = chat::Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!input.is_object()) return Fail(o.input + ": not a JSON object");
  if (!input.contains("messages")) return Fail(o.input + ": no \"messages\"");

  auto tmpl = LoadTemplate(o, input);
  if (!tmpl) return Fail(tmpl.error().message());
  if (!o.now.empty()) {
    auto date = ParseDate(o.now);
    if (!date) return Fail(date.error().message());
    tmpl->set_clock([tm = *date] { return tm; });
  }

  chat::ChatInput in;
  in.normalize = o.normalize;
  for (const auto& [key, value] : input.items()) {
    if (key == "messages") {
      in.messages = value;
    } else if (key == "tools") {
      in.tools = value;
    } else if (key == "add_generation_prompt") {
      in.add_generation_prompt = value.is_boolean() ? value.get<bool>() : !value.is_null();
    } else if (key != "bos_token" && key != "eos_token") {
      in.extra[key] = value;  // any other variable goes to the template as is
    }
  }
  auto prompt = tmpl->Render(in);
  if (!prompt) return Fail(prompt.error().message());
  std::fwrite(prompt->data(), 1, prompt->size(), stdout);
  return kExitOk;
}

}  // namespace

void RegisterTemplate(CLI::App& app, CommandRunner& runner) {
  auto opts = std::make_shared<TemplateOptions>();
  CLI::App* cmd = app.add_subcommand("template", "Render a chat template for a conversation");
  cmd->add_option("-t,--template", opts->template_file, "Jinja template file");
  cmd->add_option("-m,--model", opts->model, "Model (GGUF path or name) whose template to use");
  cmd->add_option("-i,--input", opts->input,
                  "JSON with messages, tools, add_generation_prompt, bos_token, eos_token and "
                  "any other variables ('-' reads stdin)")
      ->capture_default_str();
  cmd->add_option("--now", opts->now, "Date strftime_now() returns (YYYY-MM-DD)");
  cmd->add_flag("--normalize", opts->normalize,
                "Adapt OpenAI-shaped messages as the server does (JSON-text tool arguments, "
                "text content parts)");
  cmd->callback([opts, &runner] { runner = [opts] { return RunTemplate(*opts); }; });
}

}  // namespace shimmy::app
