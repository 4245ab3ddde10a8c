// shimmy tokenize / detokenize: the model's tokenizer from the command line.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"

namespace shimmy::app {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  bool json = false;
  bool no_bos = false;
  bool special = false;
  std::vector<int64_t> ids;
};

Result<Tokenizer> LoadTokenizer(const std::string& path) {
  auto file = gguf::GgufFile::Open(path);
  if (!file) return file.error();
  return Tokenizer::FromGguf(*file);
}

int RunTokenize(const TokenizeOptions& o) {
  std::string text = o.text;
  if (text == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto tok = LoadTokenizer(o.model);
  if (!tok) {
    std::fprintf(stderr, "error: %s\n", tok.error().message().c_str());
    return kExitRuntime;
  }
  const auto ids = tok->Encode(text, {.add_special = !o.no_bos, .parse_special = o.special});
  if (o.json) {
    std::puts(nlohmann::json(ids).dump().c_str());
  } else {
    std::string line;
    for (TokenId id : ids) {
      if (!line.empty()) line += ' ';
      line += std::to_string(id);
    }
    std::puts(line.c_str());
  }
  return kExitOk;
}

int RunDetokenize(const TokenizeOptions& o) {
  auto tok = LoadTokenizer(o.model);
  if (!tok) {
    std::fprintf(stderr, "error: %s\n", tok.error().message().c_str());
    return kExitRuntime;
  }
  std::vector<TokenId> ids;
  for (int64_t id : o.ids) {
    if (id < 0 || static_cast<uint64_t>(id) >= tok->vocab().size()) {
      std::fprintf(stderr, "error: token id %lld is outside the vocabulary (0..%zu)\n",
                   static_cast<long long>(id), tok->vocab().size() - 1);
      return kExitUsage;
    }
    ids.push_back(static_cast<TokenId>(id));
  }
  const std::string text = tok->Decode(ids, o.special);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return kExitOk;
}

}  // namespace

void RegisterTokenize(CLI::App& app, CommandRunner& runner) {
  auto opts = std::make_shared<TokenizeOptions>();
  auto* tok = app.add_subcommand("tokenize", "Print the token ids of TEXT");
  tok->add_option("-m,--model", opts->model, "GGUF file with the vocabulary")->required();
  tok->add_option("text", opts->text, "Text to tokenize ('-' reads stdin)")->required();
  tok->add_flag("--json", opts->json, "Print a JSON array");
  tok->add_flag("--no-bos", opts->no_bos, "Add no special tokens (no BOS/EOS/CLS/SEP)");
  tok->add_flag("--special", opts->special,
                "Parse special tokens written in the text (e.g. <|im_end|>)");
  tok->callback([opts, &runner] { runner = [opts] { return RunTokenize(*opts); }; });

  auto* detok = app.add_subcommand("detokenize", "Print the text of token IDS");
  detok->add_option("-m,--model", opts->model, "GGUF file with the vocabulary")->required();
  detok->add_option("ids", opts->ids, "Token ids")->required();
  detok->add_flag("--special", opts->special, "Render control tokens too");
  detok->callback([opts, &runner] { runner = [opts] { return RunDetokenize(*opts); }; });
}

}  // namespace shimmy::app
