#include "server/completion_service.h"

#include <algorithm>
#include <mutex>

#include "chat/chat_format.h"
#include "engine/embedder.h"
#include "sampling/json_schema.h"

namespace shimmy::server {
namespace {

using http_status = boost::beast::http::status;
using SteadyClock = std::chrono::steady_clock;

double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// An Acquire failure as an HTTP error: unknown names are the client's
// mistake (404), so are ambiguous ones (400); a model that will not load is
// ours (500).
CompletionError AcquireError(const Error& error) {
  if (runtime::IsUnknownModel(error)) {
    return {http_status::not_found, error.message(), "model_not_found"};
  }
  if (error.message().find("matches several") != std::string::npos ||
      error.message().find("ambiguous") != std::string::npos) {
    return {http_status::bad_request, error.message(), "model_not_found"};
  }
  return {http_status::internal_server_error, error.message(), "model_load_failed"};
}

// One request in flight: the lease, its jobs and each choice's parser.
class Running : public CompletionHandle, public std::enable_shared_from_this<Running> {
 public:
  Running(CompletionRequest request, CompletionEvents events)
      : request_(std::move(request)), events_(std::move(events)) {}

  void Cancel() override {
    std::vector<Scheduler::JobId> jobs;
    Scheduler* sched = nullptr;
    {
      std::lock_guard lk(mu_);
      if (cancelled_) return;
      cancelled_ = true;
      jobs = jobs_;
      sched = lease_.model ? &lease_.model->scheduler() : nullptr;
    }
    if (sched != nullptr) {
      for (auto id : jobs) sched->Cancel(id);
    }
  }

  const std::string& model_name() const { return request_.model; }
  std::optional<std::chrono::milliseconds> keep_alive() const { return request_.keep_alive; }

  // Runs once the model is resident (or failed to load).
  void OnAcquired(Result<runtime::ModelLease> lease);

 private:
  struct Choice {
    std::optional<chat::ChatOutputParser> parser;
    ChoiceFinal final;
    std::vector<TokenId> pending_tokens;  // sampled but not yet in a delta
    std::vector<SampleLogprobs> pending_logprobs;
    GenerateTimings timings;
    int n_cached = 0;
    bool done = false;
  };

  void Fail(CompletionError error) {
    if (events_.on_error) events_.on_error(error);
    events_ = {};  // the last event: let go of whatever the dialect captured
  }
  Result<std::vector<TokenId>> Tokenize(const Instance& inst, chat::ChatOutputOptions* output,
                                        CompletionError* error);
  void OnPiece(int index, const GeneratedPiece& piece);
  void OnDone(int index, Result<GenerateResult> result);
  void Deliver(int index, chat::OutputDelta delta, bool force);

  CompletionRequest request_;
  CompletionEvents events_;
  SteadyClock::time_point start_ = SteadyClock::now();

  std::mutex mu_;  // guards cancelled_, jobs_, lease_ (Cancel may come from any thread)
  bool cancelled_ = false;
  std::vector<Scheduler::JobId> jobs_;
  runtime::ModelLease lease_;

  // Touched only by the events' thread (events of a request never overlap).
  std::vector<Choice> choices_;
  int n_prompt_ = 0;
  int n_done_ = 0;
  std::optional<CompletionError> error_;
};

Result<std::vector<TokenId>> Running::Tokenize(const Instance& inst,
                                               chat::ChatOutputOptions* output,
                                               CompletionError* error) {
  const std::string& name = lease_.model->entry().name;
  if (!inst.has_tokenizer()) {
    *error = {http_status::bad_request,
              "model '" + name + "' has no tokenizer: it cannot take text", "model_not_supported"};
    return Error(error->message);
  }
  const Tokenizer& tok = inst.tokenizer();
  if (!request_.chat) {
    return tok.Encode(request_.prompt, {.add_special = true, .parse_special = true});
  }
  const chat::ChatFormat* format = lease_.model->chat_format();
  if (format == nullptr) {
    *error = {http_status::bad_request, "model '" + name + "' has no chat template",
              "model_not_supported"};
    return Error(error->message);
  }
  auto turn = format->Prepare(*request_.chat);
  if (!turn) {
    *error = {http_status::bad_request, "chat template error: " + turn.error().message(),
              "template_error"};
    return Error(error->message);
  }
  *output = turn->output;
  request_.gen.stop_tokens.insert(request_.gen.stop_tokens.end(), format->stop_tokens.begin(),
                                  format->stop_tokens.end());
  return tok.Encode(turn->prompt,
                    {.add_special = !format->tmpl.renders_bos(), .parse_special = true});
}

void Running::OnAcquired(Result<runtime::ModelLease> acquired) {
  if (!acquired) return Fail(AcquireError(acquired.error()));
  {
    std::lock_guard lk(mu_);
    lease_ = std::move(acquired).value();
  }
  runtime::LoadedModel& model = *lease_.model;
  Instance& inst = model.instance();

  CompletionError error{};
  chat::ChatOutputOptions output;
  auto tokens = Tokenize(inst, &output, &error);
  if (!tokens) return Fail(error);
  n_prompt_ = static_cast<int>(tokens->size());
  if (n_prompt_ >= inst.n_ctx()) {
    return Fail({http_status::bad_request,
                 "the prompt has " + std::to_string(n_prompt_) + " tokens but the context of '" +
                     model.entry().name + "' holds " + std::to_string(inst.n_ctx()) +
                     " (raise it with --ctx, or shorten the prompt)",
                 "context_length_exceeded"});
  }
  if (request_.json_schema || request_.json_object) {
    auto grammar =
        request_.json_schema ? JsonSchemaGrammar(*request_.json_schema) : JsonObjectGrammar();
    if (!grammar) {
      return Fail({http_status::bad_request, "response_format: " + grammar.error().message(),
                   "invalid_response_format"});
    }
    request_.gen.grammar = std::move(grammar).value();
  }
  request_.gen.prompt = std::move(tokens).value();

  const int n = std::max(request_.n, 1);
  choices_.resize(static_cast<size_t>(n));
  for (auto& c : choices_) {
    if (request_.chat) c.parser.emplace(output);
  }
  if (events_.on_start) {
    const Tokenizer* tok = &inst.tokenizer();
    events_.on_start({.model = model.entry().name,
                      .prompt_tokens = n_prompt_,
                      .created = std::chrono::system_clock::now(),
                      .token_text = [tok](TokenId id) { return tok->TokenToPiece(id, false); },
                      .n_ctx = inst.n_ctx()});
  }
  if (request_.echo && !request_.chat) {
    for (int i = 0; i < n; ++i) {
      chat::OutputDelta d;
      d.content = request_.prompt;
      Deliver(i, std::move(d), false);
    }
  }

  // Submit every choice; the callbacks hold this request alive.
  auto self = shared_from_this();
  for (int i = 0; i < n; ++i) {
    GenerateRequest gen = request_.gen;
    if (i > 0 && gen.sampling.seed)
      gen.sampling.seed = *gen.sampling.seed + static_cast<uint64_t>(i);
    SubmitError why = SubmitError::kNone;
    auto id = model.scheduler().Submit(
        std::move(gen),
        {.on_piece = [self, i](const GeneratedPiece& p) { self->OnPiece(i, p); },
         .on_done = [self, i](Result<GenerateResult> r) { self->OnDone(i, std::move(r)); }},
        &why);
    if (!id) {
      const bool full = why == SubmitError::kQueueFull;
      CompletionError e{full ? http_status::service_unavailable : http_status::bad_request,
                        id.error().message(),
                        full ? "queue_full"
                             : (id.error().message().find("context") != std::string::npos
                                    ? "context_length_exceeded"
                                    : "invalid_request")};
      if (i == 0) return Fail(e);
      // Later choices: end the ones already running, then report.
      error_ = e;
      for (int k = i; k < n; ++k) choices_[static_cast<size_t>(k)].done = true;
      n_done_ += n - i;
      Cancel();
      return;
    }
    std::lock_guard lk(mu_);
    jobs_.push_back(*id);
    if (cancelled_) model.scheduler().Cancel(*id);
  }
}

void Running::Deliver(int index, chat::OutputDelta delta, bool force) {
  Choice& c = choices_[static_cast<size_t>(index)];
  if (delta.empty() && !force) return;
  c.final.content += delta.content;
  c.final.reasoning += delta.reasoning;
  CompletionDelta out{
      .output = std::move(delta), .tokens = c.pending_tokens, .logprobs = c.pending_logprobs};
  if (events_.on_delta) events_.on_delta(index, out);
  c.pending_tokens.clear();
  c.pending_logprobs.clear();
}

void Running::OnPiece(int index, const GeneratedPiece& piece) {
  Choice& c = choices_[static_cast<size_t>(index)];
  c.pending_tokens.insert(c.pending_tokens.end(), piece.tokens.begin(), piece.tokens.end());
  c.pending_logprobs.insert(c.pending_logprobs.end(), piece.logprobs.begin(), piece.logprobs.end());
  chat::OutputDelta delta;
  if (c.parser) {
    delta = c.parser->Feed(piece.text);
  } else {
    delta.content = std::string(piece.text);
  }
  Deliver(index, std::move(delta), false);
}

void Running::OnDone(int index, Result<GenerateResult> result) {
  Choice& c = choices_[static_cast<size_t>(index)];
  if (!result) {
    if (!error_) {
      error_ = CompletionError{http_status::internal_server_error,
                               "generation failed: " + result.error().message(), "engine_error"};
    }
  } else {
    if (c.parser && result->finish_reason != "cancelled") Deliver(index, c.parser->Finish(), false);
    if (c.parser) c.final.tool_calls = c.parser->tool_calls();
    c.final.finish_reason = result->finish_reason;
    if (!c.final.tool_calls.empty() && c.final.finish_reason == "stop") {
      c.final.finish_reason = "tool_calls";
    }
    c.final.tokens = std::move(result->tokens);
    c.final.logprobs = std::move(result->logprobs);
    c.timings = result->timings;
    c.n_cached = result->n_cached;
  }
  c.done = true;
  if (++n_done_ < static_cast<int>(choices_.size())) return;

  // Every choice has ended.
  if (error_) {
    Fail(*error_);
  } else {
    CompletionFinal final;
    final.model = lease_.model->entry().name;
    final.prompt_tokens = n_prompt_;
    final.cached_tokens = choices_[0].n_cached;
    final.load_ms = lease_.just_loaded ? lease_.model->load_ms() : 0;
    final.prompt_ms = choices_[0].timings.prompt_ms;
    final.decode_ms = choices_[0].timings.decode_ms;
    for (auto& ch : choices_) {
      final.completion_tokens += static_cast<int>(ch.final.tokens.size());
      final.choices.push_back(std::move(ch.final));
    }
    final.total_ms = MsSince(start_);
    if (events_.on_done) events_.on_done(final);
    events_ = {};  // the last event: let go of whatever the dialect captured
  }
  // Drop the lease here: the keep_alive countdown starts after the answer.
  std::lock_guard lk(mu_);
  lease_ = {};
}

}  // namespace

std::shared_ptr<CompletionHandle> CompletionService::Start(CompletionRequest request,
                                                           CompletionEvents events) {
  auto running = std::make_shared<Running>(std::move(request), std::move(events));
  const std::string model = running->model_name();
  pool_.Acquire(
      model, {.keep_alive = running->keep_alive()},
      [running](Result<runtime::ModelLease> lease) { running->OnAcquired(std::move(lease)); });
  return running;
}

void CompletionService::Embed(
    const std::string& model, std::vector<std::string> inputs, bool normalize, bool truncate,
    std::optional<std::chrono::milliseconds> keep_alive,
    std::function<void(const EmbeddingResult*, const CompletionError*)> done) {
  const auto start = SteadyClock::now();
  pool_.Acquire(
      model, {.keep_alive = keep_alive},
      [inputs = std::move(inputs), normalize, truncate, done = std::move(done),
       start](Result<runtime::ModelLease> acquired) {
        if (!acquired) {
          const CompletionError e = AcquireError(acquired.error());
          return done(nullptr, &e);
        }
        runtime::ModelLease lease = std::move(acquired).value();
        Instance& inst = lease.model->instance();
        const std::string& name = lease.model->entry().name;
        if (!inst.has_tokenizer()) {
          const CompletionError e{http_status::bad_request,
                                  "model '" + name + "' has no tokenizer: it cannot take text",
                                  "model_not_supported"};
          return done(nullptr, &e);
        }
        auto result = std::make_shared<EmbeddingResult>();
        result->model = name;
        result->load_ms = lease.just_loaded ? lease.model->load_ms() : 0;
        auto token_lists = std::make_shared<std::vector<std::vector<TokenId>>>();
        for (const std::string& text : inputs) {
          auto tokens =
              inst.tokenizer().Encode(text, {.add_special = true, .parse_special = false});
          const size_t limit = static_cast<size_t>(inst.n_ctx());
          if (tokens.size() > limit) {
            if (!truncate) {
              const CompletionError e{http_status::bad_request,
                                      "an input has " + std::to_string(tokens.size()) +
                                          " tokens but the context of '" + name + "' holds " +
                                          std::to_string(limit),
                                      "context_length_exceeded"};
              return done(nullptr, &e);
            }
            tokens.resize(limit);
          }
          if (tokens.empty()) {
            const CompletionError e{http_status::bad_request, "an input is empty",
                                    "invalid_request"};
            return done(nullptr, &e);
          }
          result->prompt_tokens += static_cast<int>(tokens.size());
          token_lists->push_back(std::move(tokens));
        }
        lease.model->scheduler().RunTask([lease, result, token_lists, normalize, done, start](
                                             Instance& i, SeqId seq) {
          for (const auto& tokens : *token_lists) {
            auto v = shimmy::Embed(i, tokens, {.pooling = std::nullopt, .normalize = normalize, .seq = seq});
            if (!v) {
              const CompletionError e{http_status::internal_server_error,
                                      "embedding failed: " + v.error().message(), "engine_error"};
              return done(nullptr, &e);
            }
            result->vectors.push_back(std::move(v).value());
          }
          result->total_ms = MsSince(start);
          done(result.get(), nullptr);
        });
      });
}

}  // namespace shimmy::server
