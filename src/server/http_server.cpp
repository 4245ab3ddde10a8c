#include "server/http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>

namespace shimmy::server {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

std::shared_ptr<const SessionContext> MakeContext(const ServerOptions& options,
                                                  std::shared_ptr<const Router> router,
                                                  std::shared_ptr<SessionRegistry> registry) {
  auto context = std::make_shared<SessionContext>();
  context->router = router ? std::move(router) : std::make_shared<const Router>();
  context->limits = options.limits;
  context->gate = RequestGate({options.api_key, options.cors_origins});
  context->access_log = options.access_log ? options.access_log : AccessLogSink(&LogAccess);
  context->metrics = options.metrics ? options.metrics : std::make_shared<ServerMetrics>();
  context->registry = std::move(registry);
  return context;
}

}  // namespace

HttpServer::HttpServer(const ServerOptions& options, std::shared_ptr<const Router> router)
    : options_(options),
      context_(MakeContext(options, std::move(router), registry_)),
      ioc_(std::max(1, options.n_threads)),
      accept_strand_(net::make_strand(ioc_)),
      acceptor_(accept_strand_),
      retry_timer_(accept_strand_) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      std::shared_ptr<const Router> router) {
  const std::string where = options.address + ":" + std::to_string(options.port);
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) return Error(where + ": not an IP address");
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(router)));
  tcp::acceptor& acceptor = server->acceptor_;
  const tcp::endpoint endpoint(address, options.port);
  if (acceptor.open(endpoint.protocol(), ec); ec) return Error(where + ": " + ec.message());
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec)
    return Error(where + ": " + ec.message());
  if (acceptor.bind(endpoint, ec); ec) return Error(where + ": " + ec.message());
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec)
    return Error(where + ": " + ec.message());
  server->endpoint_ = acceptor.local_endpoint(ec);
  if (ec) return Error(where + ": " + ec.message());

  server->work_.emplace(server->ioc_.get_executor());
  net::post(server->accept_strand_, [s = server.get()] { s->Accept(); });
  const int n_threads = std::clamp(options.n_threads, 1, 16);
  for (int i = 0; i < n_threads; ++i)
    server->threads_.emplace_back([s = server.get()] { s->ioc_.run(); });
  return server;
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

void HttpServer::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         [this](boost::system::error_code ec, tcp::socket socket) {
                           OnAccept(ec, std::move(socket));
                         });
}

void HttpServer::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open() || ec == net::error::operation_aborted) return;  // stopping
  if (ec) {
    // Out of descriptors and the like: try again shortly instead of spinning.
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](boost::system::error_code e) {
      if (!e) Accept();
    });
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);  // tokens are small; send them now
  std::make_shared<HttpSession>(std::move(socket), context_)->Start();
  Accept();
}

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  if (threads_.empty()) return;  // Start() failed before running anything
  // Close the acceptor on its strand and wait, so no session starts after this.
  std::promise<void> closed;
  net::post(accept_strand_, [&] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& s : registry_->Snapshot()) s->Shutdown();
  if (!registry_->WaitEmpty(deadline)) {
    for (auto& s : registry_->Snapshot()) s->ForceClose();
    // A session lives on only while someone outside holds it for a moment
    // (a ResponseStream's Kick); bounded wait, then the threads stop anyway.
    registry_->WaitEmpty(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace shimmy::server
