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
// from an I/O thread (Stop joins them). endpoint() is immutable after Start.
// Not done yet (issue 6): CORS, API key, access log, WebSocket.
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
#include "server/http_session.h"
#include "server/router.h"

namespace shimmy::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port (see endpoint())
  int n_threads = 2;
  SessionLimits limits;
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

  // Stops accepting, closes idle connections, lets answers in flight finish
  // for up to `grace`, then closes what is left (their streams see
  // cancelled()) and joins the threads. Blocking; idempotent.
  void Stop(std::chrono::milliseconds grace);

 private:
  HttpServer(const ServerOptions& options, std::shared_ptr<const Router> router);
  void Accept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  ServerOptions options_;
  std::shared_ptr<const Router> router_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::strand<boost::asio::io_context::executor_type> accept_strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // after accept errors such as EMFILE
  boost::asio::ip::tcp::endpoint endpoint_;
  std::shared_ptr<SessionRegistry> registry_ = std::make_shared<SessionRegistry>();
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace shimmy::server
