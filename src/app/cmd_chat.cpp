// shimmy chat MODEL: a conversation in the terminal, in the model's own
// chat template (src/chat). Each turn renders the whole history, so the
// model sees every earlier question and answer; answers stream to stdout.
//
// Keys: Ctrl-C while an answer is being written stops that answer (what was
// written stays in the history); Ctrl-C at the prompt, Ctrl-D (end of
// input) or /exit quit; /clear forgets the history (the system prompt
// stays). A pipe works like a terminal without the prompts, so
// `printf 'Hi\n/exit\n' | shimmy chat m` prints one answer per line read.
//
// Cost: every turn prefills the whole conversation again (Generate starts
// from an empty cache), which is fine at terminal speed and context sizes.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "app/kv_cache_flags.h"
#include "app/model_arg.h"
#include "app/sampling_flags.h"
#include "chat/chat_format.h"
#include "engine/generator.h"

namespace shimmy::app {
namespace {

struct ChatOptions {
  ModelArgs model_args;
  std::string system;
  int max_tokens = 0;
  SamplingFlags sampling;
  int threads = 0;
  int ctx = 0;
  KvCacheFlags kv;
  bool verbose = false;
};

// Set by SIGINT; read by the answer's sink and the line reader.
std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true); }

int Fail(const std::string& message, int code = kExitRuntime) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

// Lines from stdin that a Ctrl-C can interrupt. poll() with a timeout, not
// a blocking read, because the signal may be delivered to any thread.
class LineReader {
 public:
  enum class Status { kLine, kEof, kInterrupted };

  Status Next(std::string& line) {
    for (;;) {
      if (const size_t nl = pending_.find('\n'); nl != std::string::npos) {
        line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return Status::kLine;
      }
      if (eof_) {
        if (pending_.empty()) return Status::kEof;
        line = std::move(pending_);
        pending_.clear();
        return Status::kLine;
      }
      if (g_interrupted.exchange(false)) return Status::kInterrupted;
      pollfd fd{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
      if (::poll(&fd, 1, 200) <= 0) continue;  // timeout or EINTR: check the flag again
      char buf[4096];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        pending_.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        eof_ = true;
      }
    }
  }

 private:
  std::string pending_;
  bool eof_ = false;
};

chat::Json Message(const std::string& role, const std::string& content) {
  return {{"role", role}, {"content", content}};
}

// The conversation so far: the system prompt (if any), then turns.
chat::Json FreshHistory(const std::string& system) {
  chat::Json history = chat::Json::array();
  if (!system.empty()) history.push_back(Message("system", system));
  return history;
}

int RunChat(const ChatOptions& o) {
  auto split = SplitModelArgs(o.model_args, /*prompt_text=*/false, /*prompt_given=*/false);
  if (!split) return Fail(split.error().message(), kExitUsage);
  auto resolved = ResolveModelArg(split->model);
  if (!resolved) return Fail(resolved.error().message());
  auto created = Instance::Create({.path = resolved->path,
                                   .n_ctx = o.ctx,
                                   .n_threads = o.threads,
                                   .cache_type_k = o.kv.k_type(),
                                   .cache_type_v = o.kv.v_type()});
  if (!created) return Fail(created.error().message());
  Instance& inst = **created;
  if (!inst.has_tokenizer())
    return Fail(resolved->path + ": the model has no vocabulary to chat with");
  const Tokenizer& tokenizer = inst.tokenizer();
  auto format = chat::ChatFormat::ForModel(inst.model().file(), tokenizer.vocab());
  if (!format) return Fail(format.error().message());
  const chat::ChatTemplate& tmpl = format->tmpl;

  // An Ollama model's own system prompt applies unless one is given.
  std::string system = o.system;
  if (system.empty() && resolved->entry) system = resolved->entry->ollama.system;

  GenerateRequest req;
  req.stop_tokens = format->stop_tokens;
  req.sampling = o.sampling.ToParams();

  struct sigaction action {};
  action.sa_handler = OnInterrupt;  // no SA_RESTART: a Ctrl-C wakes the reader
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);

  const bool tty = ::isatty(STDIN_FILENO) != 0;
  if (tty) {
    std::fprintf(stderr,
                 "%s (%s template, %d-token context). /exit quits, /clear forgets, "
                 "Ctrl-C stops an answer.\n",
                 resolved->name.empty() ? resolved->path.c_str() : resolved->name.c_str(),
                 tmpl.name().c_str(), inst.n_ctx());
  }
  chat::Json history = FreshHistory(system);
  LineReader reader;
  int turn = 0;
  for (;;) {
    if (tty) {
      std::fputs(">>> ", stdout);
      std::fflush(stdout);
    }
    std::string line;
    const LineReader::Status status = reader.Next(line);
    if (status != LineReader::Status::kLine) {
      if (tty) std::fputc('\n', stdout);
      break;
    }
    if (line == "/exit" || line == "/bye") break;
    if (line == "/clear") {
      history = FreshHistory(system);
      if (tty) std::fputs("(history cleared)\n", stderr);
      continue;
    }
    if (line.empty()) continue;

    history.push_back(Message("user", line));
    chat::ChatInput input;
    input.messages = history;
    auto prepared = format->Prepare(input);
    if (!prepared) return Fail(prepared.error().message());
    const std::string* prompt = &prepared->prompt;
    req.prompt =
        tokenizer.Encode(*prompt, {.add_special = !tmpl.renders_bos(), .parse_special = true});
    const int n_prompt = static_cast<int>(req.prompt.size());
    if (n_prompt + 1 >= inst.n_ctx()) {
      history.erase(history.end() - 1);
      std::fprintf(stderr,
                   "error: the conversation (%d tokens) no longer fits the %d-token "
                   "context; /clear starts over, --ctx makes room\n",
                   n_prompt, inst.n_ctx());
      continue;
    }
    req.max_tokens = o.max_tokens > 0 ? std::min(o.max_tokens, inst.n_ctx() - n_prompt) : 0;
    ++turn;
    if (o.verbose) {
      std::fprintf(stderr, "--- prompt (turn %d, %d tokens) ---\n%s\n--- end of prompt ---\n", turn,
                   n_prompt, prompt->c_str());
    }

    // Reasoning (<think>...) is shown dimmed on a terminal and kept out of
    // the history, as chat templates expect.
    chat::ChatOutputParser parser(prepared->output);
    std::string content;
    auto show = [&](const chat::OutputDelta& d) {
      if (!d.reasoning.empty()) {
        if (tty) std::fputs("\x1b[2m", stdout);
        std::fwrite(d.reasoning.data(), 1, d.reasoning.size(), stdout);
        if (tty) std::fputs("\x1b[0m", stdout);
      }
      std::fwrite(d.content.data(), 1, d.content.size(), stdout);
      content += d.content;
      std::fflush(stdout);
    };
    g_interrupted.store(false);
    auto answer = Generate(inst, req, [&](std::string_view piece) {
      show(parser.Feed(piece));
      return !g_interrupted.load();
    });
    show(parser.Finish());
    const bool stopped = g_interrupted.exchange(false);
    std::fputs(tty ? "\n\n" : "\n", stdout);
    std::fflush(stdout);
    if (!answer) return Fail(answer.error().message());
    history.push_back(Message("assistant", content));
    if (stopped) std::fputs("(stopped)\n", stderr);
    if (o.verbose) {
      const GenerateTimings& t = answer->timings;
      std::fprintf(stderr, "[turn %d: %d prompt tokens, %d generated %.1f tok/s, finish: %s]\n",
                   turn, t.n_prompt, t.n_decoded, t.decode_tok_s(),
                   stopped ? "interrupted" : answer->finish_reason.c_str());
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterChat(CLI::App& app, CommandRunner& runner) {
  auto o = std::make_shared<ChatOptions>();
  auto* cmd = app.add_subcommand("chat", "Chat with a model in the terminal (reads stdin lines)");
  AddModelArgs(cmd, o->model_args, /*prompt_text=*/false);
  cmd->add_option("--system", o->system, "System prompt");
  cmd->add_option("-n,--max-tokens", o->max_tokens, "Longest answer in tokens (default: no limit)");
  AddSamplingFlags(cmd, o->sampling);
  cmd->add_option("-t,--threads", o->threads, "Compute threads (default: physical cores)");
  cmd->add_option("--ctx", o->ctx, "Context size in tokens (default: the model's)");
  AddKvCacheFlags(cmd, o->kv);
  cmd->add_flag("-v,--verbose", o->verbose,
                "Print each rendered prompt and turn statistics to stderr");
  cmd->callback([o, &runner] { runner = [o] { return RunChat(*o); }; });
}

}  // namespace shimmy::app
