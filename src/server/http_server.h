// HttpServer: a listening socket, a few I/O threads, and one HttpSession per
// connection (see http_session.h for the life of a connection).
//
//   auto router = std::make_shared<Router>();
//   AddHealthRoute(*router);
//   Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, router);
//   ...                         // serve until told to stop
//   (*server)->Stop(std::chrono::seconds(10));
//
// Threads: `n_threads` (1-2) run one io_context; each connection's work is
// serialised on its own strand, the acceptor on another. Idle threads block
// in epoll (no polling, ~0% CPU). Handlers run on these threads.
// Ownership: the server owns the io_context, threads and acceptor; sessions
// own themselves while they have work (see http_session.h).
// Thread-safety: Start/Stop/~HttpServer from one controlling thread, never
// from an I/O thread (Stop joins them). endpoint() is immutable after Start;
// CollectServerMetrics may be called from any thread.
//
// Every request passes the API key / CORS gate (security.h) before the
// router, is written to the access log (access_log.h) when its answer is
// complete, and is counted in ServerMetrics (metrics_route.h).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "server/access_log.h"
#include "server/http_session.h"
#include "server/metrics_route.h"
#include "server/prometheus.h"
#include "server/router.h"

namespace shimmy::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port (see endpoint())
  int n_threads = 2;
  SessionLimits limits;
  // Security (security.h): empty key = none; empty origins = no CORS. The
  // caller picks the default (DefaultCorsOrigins(address): any on loopback).
  std::string api_key;
  std::vector<std::string> cors_origins;
  // Called once per request when its answer is complete, from I/O threads;
  // empty = LogAccess (spdlog logger "access", stderr).
  AccessLogSink access_log;
  // Where the server counts its requests; null = one of its own. Share one
  // with AddMetricsRoute's collector to expose it.
  std::shared_ptr<ServerMetrics> metrics;
};

class HttpServer {
 public:
  // Binds and listens (errors as values: "127.0.0.1:11435: Address already
  // in use"), then starts the I/O threads.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                   std::shared_ptr<const Router> router);
  ~HttpServer();  // Stop(0 s) when not stopped yet
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }

  // The server's own families (requests, in flight, durations; metrics_route.h).
  void CollectServerMetrics(PrometheusWriter& writer) const { context_->metrics->Collect(writer); }

  // Stops accepting, closes idle connections, lets answers in flight finish
  // for up to `grace`, then closes what is left (their streams see
  // cancelled()) and joins the threads. Blocking; idempotent.
  void Stop(std::chrono::milliseconds grace);

 private:
  HttpServer(const ServerOptions& options, std::shared_ptr<const Router> router);
  void Accept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  ServerOptions options_;
  std::shared_ptr<SessionRegistry> registry_ = std::make_shared<SessionRegistry>();
  std::shared_ptr<const SessionContext> context_;  // shared by every session
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::strand<boost::asio::io_context::executor_type> accept_strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // after accept errors such as EMFILE
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace shimmy::server
