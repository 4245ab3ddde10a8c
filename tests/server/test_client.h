// A small synchronous HTTP client and an in-process server for the server
// tests. Every socket read has a 60 s timeout (SO_RCVTIMEO), so a broken
// server fails a test instead of hanging it.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "server/health_route.h"
#include "server/http_server.h"

namespace shimmy::testing {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;

class TestClient {
 public:
  explicit TestClient(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    timeval tv{60, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void SendRaw(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }

  void Send(http::verb method, const std::string& target, const std::string& body = "") {
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty() || method == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(socket_, req);
  }

  http::response<http::string_body> Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 30);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  http::response<http::string_body> Request(http::verb method, const std::string& target,
                                            const std::string& body = "") {
    Send(method, target, body);
    return Read();
  }

  // True when the server closed the connection (EOF or reset).
  bool ReadsEof() {
    char c;
    boost::system::error_code ec;
    socket_.read_some(net::buffer(&c, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  tcp::socket& socket() { return socket_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

inline nlohmann::json Json(const http::response<http::string_body>& r) {
  return nlohmann::json::parse(r.body(), nullptr, /*allow_exceptions=*/false);
}

// A server on an ephemeral loopback port with small limits.
inline std::unique_ptr<server::HttpServer> StartTestServer(std::shared_ptr<server::Router> router,
                                                           size_t body_limit = 1024,
                                                           size_t max_stream_buffer = 4 * 1024 *
                                                                                      1024) {
  server::ServerOptions options;
  options.port = 0;
  options.limits.body_limit = body_limit;
  options.limits.max_stream_buffer = max_stream_buffer;
  auto s = server::HttpServer::Start(options, std::move(router));
  if (!s) throw std::runtime_error(s.error().message());
  return std::move(s).value();
}

}  // namespace shimmy::testing
