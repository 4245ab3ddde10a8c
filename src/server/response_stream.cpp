#include "server/response_stream.h"

#include <boost/beast/http/field.hpp>

#include "server/error_body.h"
#include "server/http_session.h"

namespace shimmy::server {

void StreamState::Cancel() {
  std::function<void()> fn;
  {
    std::lock_guard lk(mu);
    if (cancelled.exchange(true, std::memory_order_acq_rel)) return;
    fn = std::move(on_cancel);
    on_cancel = nullptr;
    pending.clear();
  }
  if (fn) fn();
}

ResponseStream::ResponseStream(std::shared_ptr<StreamState> state,
                               std::weak_ptr<HttpSession> session)
    : state_(std::move(state)), session_(std::move(session)) {}

ResponseStream::~ResponseStream() {
  bool answered, streaming;
  {
    std::lock_guard lk(state_->mu);
    answered = state_->answered;
    streaming = state_->streaming;
  }
  if (!answered) {
    RespondError(http::status::internal_server_error, "the handler produced no response");
  } else if (streaming) {
    End();  // no-op when already ended
  }
}

void ResponseStream::SetHeader(std::string name, std::string value) {
  std::lock_guard lk(state_->mu);
  if (state_->answered) return;
  state_->extra_headers.emplace_back(std::move(name), std::move(value));
}

void ResponseStream::Respond(http::status status, std::string_view content_type, std::string body) {
  std::function<void()> done_with;  // see End()
  {
    std::lock_guard lk(state_->mu);
    if (state_->answered) return;
    state_->answered = true;
    done_with = std::move(state_->on_cancel);
    state_->on_cancel = nullptr;
    auto& res = state_->whole.emplace(status, 11);
    res.set(http::field::content_type, content_type);
    for (const auto& [name, value] : state_->extra_headers) res.set(name, value);
    res.body() = std::move(body);
  }
  Kick();
}

void ResponseStream::RespondJson(http::status status, const nlohmann::json& body) {
  Respond(status, "application/json", body.dump());
}

void ResponseStream::RespondError(http::status status, std::string_view message,
                                  std::string_view code) {
  RespondJson(status, ErrorBody(state_->path, status, message, code));
}

void ResponseStream::Begin(http::status status, std::string_view content_type) {
  {
    std::lock_guard lk(state_->mu);
    if (state_->answered) return;
    state_->answered = true;
    state_->streaming = true;
    auto& res = state_->head.emplace(status, 11);
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-cache");
    for (const auto& [name, value] : state_->extra_headers) res.set(name, value);
    res.chunked(true);
  }
  Kick();
}

bool ResponseStream::Write(std::string_view chunk) {
  if (chunk.empty()) return !cancelled();
  bool overflow = false, was_empty = false;
  {
    std::lock_guard lk(state_->mu);
    if (cancelled() || state_->end || !state_->streaming) return false;
    was_empty = state_->pending.empty();
    state_->pending.append(chunk);
    overflow = state_->pending.size() > state_->max_pending;
  }
  if (overflow) {
    state_->Cancel();  // the connection sees `cancelled` on its next pump and closes
    Kick();
    return false;
  }
  if (was_empty) Kick();  // otherwise a pump is already due
  return true;
}

void ResponseStream::End() {
  std::function<void()> done_with;  // destroyed after the lock: it may own this stream
  {
    std::lock_guard lk(state_->mu);
    if (state_->end || !state_->streaming) return;
    state_->end = true;
    // An answered request cannot be cancelled any more; dropping the
    // callback also breaks the cycle stream -> callback -> handle -> stream.
    done_with = std::move(state_->on_cancel);
    state_->on_cancel = nullptr;
  }
  Kick();
}

void ResponseStream::OnCancel(std::function<void()> fn) {
  std::function<void()> done_with;  // see End()
  {
    std::lock_guard lk(state_->mu);
    if (state_->end || (state_->answered && !state_->streaming)) {
      done_with = std::move(fn);  // already answered: nothing left to cancel
      fn = nullptr;
    } else if (!cancelled()) {
      state_->on_cancel = std::move(fn);
      return;
    }
  }
  if (fn) fn();
}

void ResponseStream::Kick() {
  if (auto session = session_.lock()) {
    session->PostPump();
  } else {
    state_->Cancel();  // the connection is gone
  }
}

}  // namespace shimmy::server
