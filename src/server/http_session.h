// HttpSession: one TCP connection (internal to src/server; handlers see
// only Router and ResponseStream).
//
// Life of a connection, all on the connection's strand:
//   read header (idle timeout, header limit) → [100 Continue] → read body
//   (body limit) → dispatch to the router → write the answer (one write in
//   flight; a whole response, or head + coalesced chunks + last chunk) →
//   next request on the same connection (HTTP/1.1 keep-alive), or close.
// Requests are answered strictly one at a time, in order, so pipelined
// requests are safe: their bytes wait in the read buffer.
// While a request is being answered, a "watch" read on the socket notices a
// client that goes away and cancels the ResponseStream (bytes that arrive
// meanwhile are kept for the next request, up to the header limit).
// A malformed request → 400, too large → 413/431, all JSON, then the
// connection closes (lingering: send side shut, input drained briefly).
// Before the router, each request passes the RequestGate (API key, CORS;
// security.h). When an answer is complete (or cut short), the session hands
// one AccessRecord to the access-log sink and to ServerMetrics.
//
// Ownership: the session owns itself through its pending operations (and,
// while a request is being answered, a self reference); ResponseStream holds
// only a weak_ptr. Thread-safety: PostPump/Shutdown/ForceClose from any
// thread; everything else runs on the strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "server/access_log.h"
#include "server/metrics_route.h"
#include "server/response_stream.h"
#include "server/router.h"
#include "server/security.h"

namespace shimmy::server {

struct SessionLimits {
  size_t header_limit = 64 * 1024;
  size_t body_limit = 32 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{60'000};   // waiting for / reading a request
  std::chrono::milliseconds write_timeout{60'000};  // one socket write
  size_t max_stream_buffer = 4 * 1024 * 1024;       // see response_stream.h
};

// The live sessions of one server, so Stop() can reach them. Thread-safe.
class SessionRegistry {
 public:
  void Add(const std::shared_ptr<HttpSession>& s);
  void Remove(HttpSession* s);
  std::vector<std::shared_ptr<HttpSession>> Snapshot();
  // True when empty before `deadline`.
  bool WaitEmpty(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mu_;
  std::condition_variable empty_;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions_;
};

// What every connection of one server shares. Immutable once the server
// has started; the registry, metrics and access-log sink are thread-safe.
struct SessionContext {
  std::shared_ptr<const Router> router;
  SessionLimits limits;
  RequestGate gate;
  AccessLogSink access_log;                // never empty
  std::shared_ptr<ServerMetrics> metrics;  // never null
  std::shared_ptr<SessionRegistry> registry;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<const SessionContext> context);
  ~HttpSession();

  void Start();
  void PostPump();    // write whatever the current ResponseStream queued
  void Shutdown();    // finish the current answer (if any), then close
  void ForceClose();  // close now; cancels the current stream

 private:
  void DoRead();
  void OnHeader(boost::beast::error_code ec);
  void OnBody(boost::beast::error_code ec);
  void BeginExchange(std::string path, bool keep_alive, std::string_view method);
  void EndExchange(bool cancelled);  // logs and counts the exchange once
  void FailRequest(http::status status, std::string_view message);
  void Watch();
  void OnWatch(boost::beast::error_code ec, size_t n);
  void Pump();
  void OnWrite(bool last, boost::beast::error_code ec, size_t n);
  void FinishExchange();
  void CloseGracefully();
  void Close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<const SessionContext> context_;
  const SessionLimits& limits_;  // context_->limits
  std::string remote_;           // "addr:port" of the peer, for the access log

  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<StreamState> exchange_;  // the request being answered
  std::shared_ptr<HttpSession> self_;      // alive while answering
  std::optional<AccessRecord> record_;     // of the current exchange, filled as it goes
  std::chrono::steady_clock::time_point started_;
  bool keep_alive_ = false;  // of the current request
  bool head_taken_ = false;  // whole or head handed to the socket
  bool writing_ = false;
  bool watching_ = false;
  bool read_after_watch_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
  bool linger_ = false;       // drain input before closing (after a refused request)
  bool final_write_ = false;  // the write in flight ends the answer (whole or last chunk)
  bool peer_gone_ = false;    // the client closed while that final write was in flight
  // What the write in flight points into.
  std::optional<http::response<http::string_body>> whole_;
  std::optional<http::response<http::empty_body>> head_;
  std::optional<http::response_serializer<http::empty_body>> head_sr_;
  std::string out_;
  std::array<char, 4096> drain_{};
};

}  // namespace shimmy::server
