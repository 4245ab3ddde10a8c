// Access log: one AccessRecord per request, handed to a sink when its
// answer is complete — the whole response written, the last chunk of a
// stream written, or the exchange cut short (client gone, write error,
// stream overflow, server force-closing). Requests refused by the HTTP
// layer itself (400, 413, 431), preflights and 401s are logged too.
//
// The default sink, LogAccess, writes one line at info through the spdlog
// logger named "access" (created on first use, writing to stderr; register
// a logger of that name first to send it elsewhere), and the request's
// details (user agent, request size, route) at debug:
//   127.0.0.1:51234 "POST /v1/chat/completions" 200 5120B 812.4ms stream
//   127.0.0.1:51236 "POST /api/chat" 200 211B 90.0ms stream cancelled
//
// Thread-safety: a sink is called from every I/O thread concurrently and
// must be thread-safe; it runs on the I/O thread, so it must be quick.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace shimmy::server {

// Status used when the client went away before any answer was sent (as nginx does).
inline constexpr int kStatusClientClosed = 499;

struct AccessRecord {
  std::string remote;           // "127.0.0.1:51234", "[::1]:51234"
  std::string method;           // "GET"
  std::string path;             // without the query string
  std::string route;            // the route it matched (Router::RouteLabel), "other" if none
  int status = 0;               // what was sent; kStatusClientClosed when nothing was
  uint64_t response_bytes = 0;  // body bytes written (chunk payloads for a stream)
  std::chrono::microseconds duration{0};  // request parsed → answer complete
  bool streamed = false;                  // a chunked answer (SSE, NDJSON)
  bool cancelled = false;                 // cut short before its end was written
  // Details (logged at debug).
  std::string user_agent;
  uint64_t request_bytes = 0;  // body bytes received
};

using AccessLogSink = std::function<void(const AccessRecord&)>;

// The default sink (see above).
void LogAccess(const AccessRecord& record);

// The info line, without a newline. Control characters and quotes in the
// method and path are escaped as \xNN, so a request cannot forge log lines.
std::string FormatAccessLine(const AccessRecord& record);

}  // namespace shimmy::server
