#include "server/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "server/error_body.h"

namespace shimmy::server {

namespace beast = boost::beast;
namespace net = boost::asio;
using beast::error_code;

void SessionRegistry::Add(const std::shared_ptr<HttpSession>& s) {
  std::lock_guard lk(mu_);
  sessions_[s.get()] = s;
}

void SessionRegistry::Remove(HttpSession* s) {
  std::lock_guard lk(mu_);
  sessions_.erase(s);
  if (sessions_.empty()) empty_.notify_all();
}

std::vector<std::shared_ptr<HttpSession>> SessionRegistry::Snapshot() {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<HttpSession>> out;
  for (auto& [_, w] : sessions_)
    if (auto s = w.lock()) out.push_back(std::move(s));
  return out;
}

bool SessionRegistry::WaitEmpty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lk(mu_);
  return empty_.wait_until(lk, deadline, [&] { return sessions_.empty(); });
}

namespace {

std::string EndpointText(const net::ip::tcp::socket& socket) {
  error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "-";
  const std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, std::shared_ptr<const SessionContext> context)
    : stream_(std::move(socket)),
      context_(std::move(context)),
      limits_(context_->limits),
      remote_(EndpointText(stream_.socket())) {}

HttpSession::~HttpSession() {
  if (exchange_) exchange_->Cancel();
  EndExchange(/*cancelled=*/true);
  context_->registry->Remove(this);
}

void HttpSession::Start() {
  context_->registry->Add(shared_from_this());
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
}

void HttpSession::PostPump() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->Pump(); });
}

void HttpSession::Shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->shutting_down_ = true;
    if (!self->exchange_) self->Close();  // idle or mid-request: nothing owed
  });
}

void HttpSession::ForceClose() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

void HttpSession::DoRead() {
  if (closed_) return;
  if (shutting_down_) return Close();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits_.header_limit));
  parser_->body_limit(limits_.body_limit);
  stream_.expires_after(limits_.idle_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpSession::OnHeader(error_code ec) {
  if (ec) return OnBody(ec);
  const auto& req = parser_->get();
  if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.expires_after(limits_.write_timeout);
    return net::async_write(stream_, net::buffer(kContinue),
                            [self = shared_from_this()](error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->stream_.expires_after(self->limits_.idle_timeout);
                              http::async_read(self->stream_, self->buffer_, *self->parser_,
                                               [self](error_code ec, size_t) { self->OnBody(ec); });
                            });
  }
  stream_.expires_after(limits_.idle_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
}

void HttpSession::OnBody(error_code ec) {
  if (closed_) return;
  if (ec == http::error::body_limit) {
    return FailRequest(http::status::payload_too_large,
                       "request body is larger than the limit of " +
                           std::to_string(limits_.body_limit) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return FailRequest(http::status::request_header_fields_too_large,
                       "request header is larger than the limit of " +
                           std::to_string(limits_.header_limit) + " bytes");
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout) return Close();
  if (ec && &ec.category() == &http::make_error_code(http::error::bad_target).category()) {
    return FailRequest(http::status::bad_request, "malformed HTTP request: " + ec.message());
  }
  if (ec) return Close();

  http::request<http::string_body> req = parser_->release();
  parser_.reset();
  if (beast::websocket::is_upgrade(req)) {
    const WebSocketHandler* ws = context_->router->FindWebSocket(TargetPath(req.target()));
    if (ws != nullptr && context_->gate.Authorized(req)) {
      // The connection leaves HTTP: the handler owns the socket now, and this
      // session ends with no answer to send (so no access-log line either).
      closed_ = true;
      stream_.expires_never();
      (*ws)(stream_.release_socket(), std::move(req));
      return;
    }
  }
  BeginExchange(std::string(TargetPath(req.target())), req.keep_alive(), req.method_string());
  record_->user_agent = req[http::field::user_agent];
  record_->request_bytes = req.body().size();
  Watch();
  auto out = std::make_shared<ResponseStream>(exchange_, weak_from_this());
  if (context_->gate.Admit(req, *out)) context_->router->Dispatch(req, std::move(out));
}

void HttpSession::BeginExchange(std::string path, bool keep_alive, std::string_view method) {
  started_ = std::chrono::steady_clock::now();
  record_.emplace();
  record_->remote = remote_;
  record_->method = method;
  record_->route = context_->router->RouteLabel(path);
  record_->path = path;
  context_->metrics->RequestStarted();
  exchange_ = std::make_shared<StreamState>(std::move(path), limits_.max_stream_buffer);
  self_ = shared_from_this();
  keep_alive_ = keep_alive;
  head_taken_ = false;
}

void HttpSession::EndExchange(bool cancelled) {
  if (!record_) return;
  AccessRecord record = std::move(*record_);
  record_.reset();
  record.cancelled = cancelled;
  if (record.status == 0) record.status = kStatusClientClosed;
  record.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_);
  context_->metrics->RequestFinished(record.route, record.status, record.duration, cancelled);
  try {
    context_->access_log(record);
  } catch (...) {
    // A failing log sink must not take the connection (or the I/O thread) down.
  }
}

void HttpSession::FailRequest(http::status status, std::string_view message) {
  const std::string target = parser_ ? std::string(parser_->get().target()) : std::string();
  const std::string method = parser_ ? std::string(parser_->get().method_string()) : "-";
  BeginExchange(std::string(TargetPath(target)), false, method);
  linger_ = true;  // the client may still be sending what we refused
  ResponseStream(exchange_, weak_from_this()).RespondError(status, message);
}

void HttpSession::Watch() {
  if (watching_ || closed_ || buffer_.size() >= limits_.header_limit) return;
  watching_ = true;
  stream_.socket().async_read_some(
      buffer_.prepare(4096),
      [self = shared_from_this()](error_code ec, size_t n) { self->OnWatch(ec, n); });
}

void HttpSession::OnWatch(error_code ec, size_t n) {
  watching_ = false;
  if (closed_) return;
  if (!ec) buffer_.commit(n);
  if (exchange_) {            // still answering
    if (!ec) return Watch();  // pipelined bytes: keep them, keep watching
    if (writing_ && final_write_) {
      // The whole answer is already with the socket (a client that closes
      // right after reading it races our write completion): let the write
      // finish, so it counts and logs as complete, then close.
      peer_gone_ = true;
      return;
    }
    exchange_->Cancel();  // the client went away
    return Close();
  }
  if (read_after_watch_) {
    read_after_watch_ = false;
    if (ec && ec != net::error::operation_aborted) return Close();
    DoRead();
  }
}

void HttpSession::Pump() {
  if (closed_ || writing_ || !exchange_) return;
  if (exchange_->cancelled.load(std::memory_order_acquire)) return Close();  // overflow
  const bool keep = keep_alive_ && !shutting_down_;
  std::unique_lock lk(exchange_->mu);
  if (!head_taken_ && exchange_->whole) {
    whole_ = std::move(*exchange_->whole);
    exchange_->whole.reset();
    lk.unlock();
    head_taken_ = true;
    record_->status = whole_->result_int();
    record_->response_bytes = whole_->body().size();
    whole_->keep_alive(keep);
    whole_->prepare_payload();
    writing_ = final_write_ = true;
    stream_.expires_after(limits_.write_timeout);
    return http::async_write(
        stream_, *whole_,
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), true));
  }
  if (!head_taken_ && exchange_->head) {
    head_ = std::move(*exchange_->head);
    exchange_->head.reset();
    lk.unlock();
    head_taken_ = true;
    record_->status = head_->result_int();
    record_->streamed = true;
    head_->keep_alive(keep);
    head_sr_.emplace(*head_);
    writing_ = true;
    stream_.expires_after(limits_.write_timeout);
    return http::async_write_header(
        stream_, *head_sr_,
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), false));
  }
  if (!head_taken_ || !head_) return;  // nothing answered yet
  if (!exchange_->pending.empty()) {
    out_.swap(exchange_->pending);
    exchange_->pending.clear();
    lk.unlock();
    record_->response_bytes += out_.size();
    writing_ = true;
    stream_.expires_after(limits_.write_timeout);
    return net::async_write(
        stream_, http::make_chunk(net::buffer(out_)),
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), false));
  }
  if (exchange_->end) {
    lk.unlock();
    writing_ = final_write_ = true;
    stream_.expires_after(limits_.write_timeout);
    return net::async_write(
        stream_, http::make_chunk_last(),
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(), true));
  }
}

void HttpSession::OnWrite(bool last, error_code ec, size_t) {
  writing_ = final_write_ = false;
  if (closed_) return;
  if (ec) {
    if (exchange_) exchange_->Cancel();
    return Close();
  }
  if (last) return FinishExchange();
  Pump();
}

void HttpSession::FinishExchange() {
  const bool keep = keep_alive_ && !shutting_down_ && !peer_gone_ &&
                    (whole_ ? whole_->keep_alive() : true) && (head_ ? head_->keep_alive() : true);
  EndExchange(/*cancelled=*/false);
  exchange_.reset();
  whole_.reset();
  head_sr_.reset();
  head_.reset();
  out_.clear();
  auto self = std::move(self_);  // keeps `this` alive to the end of this call
  if (!keep) return linger_ ? CloseGracefully() : Close();
  if (watching_) {
    read_after_watch_ = true;
    error_code ignored;
    stream_.socket().cancel(ignored);  // OnWatch then starts the next read
    return;
  }
  DoRead();
}

void HttpSession::CloseGracefully() {
  // Shut our side, then read and drop what the client still sends (briefly),
  // so a close with unread input does not reset the answer away.
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::min(limits_.idle_timeout, std::chrono::milliseconds(5000)));
  stream_.async_read_some(net::buffer(drain_), [self = shared_from_this()](error_code ec, size_t) {
    if (ec || self->closed_) return self->Close();
    self->CloseGracefully();
  });
}

void HttpSession::Close() {
  if (closed_) return;
  closed_ = true;
  if (exchange_) exchange_->Cancel();
  exchange_.reset();
  EndExchange(/*cancelled=*/true);  // no-op when the answer was complete
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  self_.reset();
}

}  // namespace shimmy::server
