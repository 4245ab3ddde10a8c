// RequestGate: what every request passes before the router sees it — the
// API key and the CORS policy (PRODUCT.md §3, "Security").
//
// API key (SecurityOptions::api_key, empty = none): every request but
// GET/HEAD /health and OPTIONS must carry `Authorization: Bearer KEY`
// (OpenAI, Ollama clients) or `x-api-key: KEY` (Anthropic clients).
// Otherwise 401 in the path's error envelope with `WWW-Authenticate: Bearer`.
// Keys are compared in constant time (ConstantTimeEquals).
//
// CORS (SecurityOptions::cors_origins): a list of allowed origins; each may
// use '*' as a wildcard for any run of characters ("*" = any origin,
// "http://localhost:*" = any port). Empty list = no cross-origin access.
// Which default to use is the caller's choice (DefaultCorsOrigins()).
//  - Normal requests with an allowed Origin get Access-Control-Allow-Origin
//    (the Origin itself) and Vary: Origin, on whole and streamed answers,
//    401s included (so a page can read why it was refused).
//  - A request with a disallowed Origin is still served, without CORS
//    headers: the browser then hides the answer from the page (as Ollama
//    does; non-browser clients send no Origin and are unaffected).
//  - Every OPTIONS is answered here, for any path, without auth: with an
//    allowed Origin, 204 + Allow-Origin/-Methods/-Headers/Max-Age (the
//    requested headers are echoed; Chrome's Private Network Access request
//    is granted, since the origin is allowed anyway); with a
//    disallowed one, 403 (JSON, no CORS headers), so the failure is visible
//    in the browser's network panel rather than an opaque CORS error; with
//    no Origin (not a preflight), 204 with Allow.
//
// Thread-safety: immutable after construction; Admit is const and safe to
// call concurrently from every I/O thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/router.h"

namespace shimmy::server {

struct SecurityOptions {
  std::string api_key;                    // empty: no key needed
  std::vector<std::string> cors_origins;  // empty: no CORS headers at all
};

class RequestGate {
 public:
  RequestGate() = default;
  explicit RequestGate(SecurityOptions options);

  // Adds the CORS headers `request` earns to `out`, then either returns true
  // (dispatch it) or answers `out` itself (preflight, 401) and returns false.
  bool Admit(const Request& request, ResponseStream& out) const;

  bool OriginAllowed(std::string_view origin) const;
  // True when `request` carries the key (or no key is configured).
  bool Authorized(const Request& request) const;

 private:
  SecurityOptions options_;
};

// Equality whose running time depends only on the lengths, never on where
// the first difference is (no early exit), so a remote client cannot find
// the key byte by byte by timing. `expected` is the secret.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// Glob match where '*' stands for any run of characters (possibly empty).
bool OriginMatches(std::string_view pattern, std::string_view origin);

// Any origin on a loopback bind (127.0.0.0/8, ::1, "localhost"), none on
// others: a server reachable from the network does not invite every web
// page in by default.
std::vector<std::string> DefaultCorsOrigins(std::string_view bind_address);

// What a preflight answer allows.
inline constexpr std::string_view kCorsAllowMethods = "GET, POST, DELETE, OPTIONS, HEAD";
inline constexpr std::string_view kCorsAllowHeaders =
    "authorization, content-type, x-api-key, anthropic-version, anthropic-beta, x-requested-with";
inline constexpr std::string_view kCorsMaxAgeSeconds = "7200";  // Chromium's cap

}  // namespace shimmy::server
