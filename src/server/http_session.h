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

#include "server/response_stream.h"
#include "server/router.h"

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

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<const Router> router,
              const SessionLimits& limits, std::shared_ptr<SessionRegistry> registry);
  ~HttpSession();

  void Start();
  void PostPump();    // write whatever the current ResponseStream queued
  void Shutdown();    // finish the current answer (if any), then close
  void ForceClose();  // close now; cancels the current stream

 private:
  void DoRead();
  void OnHeader(boost::beast::error_code ec);
  void OnBody(boost::beast::error_code ec);
  void BeginExchange(std::string path, bool keep_alive);
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
  std::shared_ptr<const Router> router_;
  const SessionLimits limits_;
  std::shared_ptr<SessionRegistry> registry_;

  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<StreamState> exchange_;  // the request being answered
  std::shared_ptr<HttpSession> self_;      // alive while answering
  bool keep_alive_ = false;                // of the current request
  bool head_taken_ = false;                // whole or head handed to the socket
  bool writing_ = false;
  bool watching_ = false;
  bool read_after_watch_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
  bool linger_ = false;  // drain input before closing (after a refused request)
  // What the write in flight points into.
  std::optional<http::response<http::string_body>> whole_;
  std::optional<http::response<http::empty_body>> head_;
  std::optional<http::response_serializer<http::empty_body>> head_sr_;
  std::string out_;
  std::array<char, 4096> drain_{};
};

}  // namespace shimmy::server
