#include "server/router.h"

#include <boost/beast/http/field.hpp>
#include <exception>
#include <string_view>

#include "server/error_body.h"

namespace shimmy::server {

void Router::Add(http::verb method, std::string path, Handler handler) {
  routes_.push_back({method, std::move(path), false, std::move(handler)});
}

void Router::AddPrefix(http::verb method, std::string prefix, Handler handler) {
  routes_.push_back({method, std::move(prefix), true, std::move(handler)});
}

void Router::AddWebSocket(std::string path, WebSocketHandler handler) {
  websockets_.emplace_back(std::move(path), std::move(handler));
}

const WebSocketHandler* Router::FindWebSocket(std::string_view path) const {
  for (const auto& [p, h] : websockets_) {
    if (p == path) return &h;
  }
  return nullptr;
}

void Router::Dispatch(const Request& request, std::shared_ptr<ResponseStream> out) const {
  const std::string_view path = TargetPath(request.target());
  const Route* best = nullptr;
  std::string allow;
  auto consider = [&](bool prefix) {
    for (const Route& r : routes_) {
      if (r.prefix != prefix) continue;
      const bool match = prefix ? path.starts_with(r.path) : path == r.path;
      if (!match) continue;
      if (r.method == request.method()) {
        if (best == nullptr || r.path.size() > best->path.size()) best = &r;
      } else {
        if (!allow.empty()) allow += ", ";
        allow += http::to_string(r.method);
      }
    }
  };
  consider(false);
  if (best == nullptr) consider(true);

  if (best == nullptr) {
    if (!allow.empty()) {
      out->RespondError(http::status::method_not_allowed,
                        std::string(request.method_string()) + " is not allowed on " +
                            std::string(path) + " (allowed: " + allow + ")");
    } else {
      out->RespondError(
          http::status::not_found,
          "no route for " + std::string(request.method_string()) + " " + std::string(path));
    }
    return;
  }
  try {
    best->handler(request, out);
  } catch (const std::exception& e) {
    out->RespondError(http::status::internal_server_error,
                      std::string("internal error: ") + e.what());
  }
}

std::string Router::RouteLabel(std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.prefix) {
      if (path.starts_with(r.path) && (best == nullptr || r.path.size() > best->path.size()))
        best = &r;
    } else if (path == r.path) {
      return r.path;  // exact routes win over prefixes, as in Dispatch
    }
  }
  return best != nullptr ? best->path + "*" : "other";
}

}  // namespace shimmy::server
