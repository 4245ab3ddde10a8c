// Router: method + path → handler. Exact paths first, then the longest
// matching prefix ("/api/models/" for "/api/models/{name}/load"). A path
// that matches with another method answers 405 (with Allow); no match
// answers 404; both in the path's error envelope (error_body.h).
//
// Handlers run on the connection's I/O thread and must not block: anything
// slow (model work) is handed off, and the ResponseStream answered later
// from any thread. A handler that throws gets a 500 JSON error.
//
// Thread-safety: build the table first (Add*), then share it read-only;
// Dispatch is const and safe to call concurrently.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/response_stream.h"

namespace shimmy::server {

using Request = http::request<http::string_body>;
using Handler = std::function<void(const Request&, std::shared_ptr<ResponseStream>)>;
// Takes over a connection whose request asks to upgrade to WebSocket (the
// socket moves out of the HTTP session; the handler owns it from then on).
using WebSocketHandler = std::function<void(boost::asio::ip::tcp::socket, Request)>;

class Router {
 public:
  void Add(http::verb method, std::string path, Handler handler);
  void AddPrefix(http::verb method, std::string prefix, Handler handler);
  void AddWebSocket(std::string path, WebSocketHandler handler);
  // The WebSocket handler for `path` (exact match), or null.
  const WebSocketHandler* FindWebSocket(std::string_view path) const;

  // Answers `out` (maybe later, through the handler).
  void Dispatch(const Request& request, std::shared_ptr<ResponseStream> out) const;

  // The pattern of the route `path` falls under, whatever the method: the
  // path itself for an exact route, "PREFIX*" for a prefix route, "other"
  // when nothing matches. A bounded label for metrics and logs.
  std::string RouteLabel(std::string_view path) const;

 private:
  struct Route {
    http::verb method;
    std::string path;
    bool prefix;
    Handler handler;
  };
  std::vector<Route> routes_;
  std::vector<std::pair<std::string, WebSocketHandler>> websockets_;  // few dozen at most: a linear scan is fine
};

}  // namespace shimmy::server
