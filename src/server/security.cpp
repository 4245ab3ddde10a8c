#include "server/security.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "server/error_body.h"

namespace shimmy::server {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The token of "Bearer TOKEN" (scheme case-insensitive), or "" when the
// header is absent or uses another scheme.
std::string_view BearerToken(std::string_view authorization) {
  authorization = Trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !boost::beast::iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      (authorization[kScheme.size()] != ' ' && authorization[kScheme.size()] != '\t'))
    return {};
  return Trim(authorization.substr(kScheme.size()));
}

// /health for load balancers; /ui is a static page with no data in it (it
// asks for the key and sends it with its own API calls).
bool IsOpenPath(const Request& request) {
  const auto method = request.method();
  const std::string_view path = TargetPath(request.target());
  return (method == http::verb::get || method == http::verb::head) &&
         (path == "/health" || path == "/ui");
}

}  // namespace

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  // Walk the whole secret whatever `given` holds; accumulate differences
  // with OR so there is no data-dependent branch. The only branch is on
  // given.size(), which the client chose and knows anyway.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  // Keep the optimiser from turning the loop into an early-exit memcmp.
  volatile unsigned sink = diff;
  return sink == 0;
}

bool OriginMatches(std::string_view pattern, std::string_view origin) {
  // Iterative glob with backtracking to the last '*': linear in practice.
  size_t p = 0, o = 0, star = std::string_view::npos, star_o = 0;
  while (o < origin.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_o = o;
    } else if (p < pattern.size() && pattern[p] == origin[o]) {
      ++p;
      ++o;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      o = ++star_o;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> DefaultCorsOrigins(std::string_view bind_address) {
  if (bind_address == "localhost") return {"*"};
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(bind_address), ec);
  if (ec) return {};
  bool loopback = address.is_loopback();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    loopback =
        boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
  if (loopback) return {"*"};
  return {};
}

RequestGate::RequestGate(SecurityOptions options) : options_(std::move(options)) {
  // A trailing slash in a configured origin is a common typo; browsers never send one.
  for (std::string& o : options_.cors_origins)
    while (o.size() > 1 && o.back() == '/') o.pop_back();
}

bool RequestGate::OriginAllowed(std::string_view origin) const {
  if (origin.empty()) return false;
  for (const std::string& pattern : options_.cors_origins)
    if (OriginMatches(pattern, origin)) return true;
  return false;
}

bool RequestGate::Authorized(const Request& request) const {
  if (options_.api_key.empty()) return true;
  // Check both headers every time, so which one is present shows in no timing.
  const auto bearer = BearerToken(request[http::field::authorization]);
  const auto x_api_key = Trim(request["x-api-key"]);
  const bool bearer_ok = !bearer.empty() && ConstantTimeEquals(bearer, options_.api_key);
  const bool x_ok = !x_api_key.empty() && ConstantTimeEquals(x_api_key, options_.api_key);
  return bearer_ok || x_ok;
}

bool RequestGate::Admit(const Request& request, ResponseStream& out) const {
  const std::string_view origin = request[http::field::origin];
  const bool has_origin = !origin.empty();
  const bool allowed = has_origin && OriginAllowed(origin);

  if (request.method() == http::verb::options) {
    if (has_origin && !allowed) {
      out.RespondError(
          http::status::forbidden,
          "origin " + std::string(origin) + " is not allowed by this server's CORS origins");
      return false;
    }
    if (allowed) {
      out.SetHeader("Access-Control-Allow-Origin", std::string(origin));
      out.SetHeader("Access-Control-Allow-Methods", std::string(kCorsAllowMethods));
      const std::string_view asked = request[http::field::access_control_request_headers];
      out.SetHeader("Access-Control-Allow-Headers",
                    std::string(asked.empty() ? kCorsAllowHeaders : asked));
      out.SetHeader("Access-Control-Max-Age", std::string(kCorsMaxAgeSeconds));
      if (boost::beast::iequals(request["Access-Control-Request-Private-Network"], "true"))
        out.SetHeader("Access-Control-Allow-Private-Network", "true");
      out.SetHeader("Vary", "Origin, Access-Control-Request-Headers");
    } else {
      out.SetHeader("Allow", std::string(kCorsAllowMethods));
    }
    out.Respond(http::status::no_content, "text/plain; charset=utf-8", "");
    return false;
  }

  if (allowed) {
    out.SetHeader("Access-Control-Allow-Origin", std::string(origin));
    out.SetHeader("Vary", "Origin");
  }
  if (IsOpenPath(request) || Authorized(request)) return true;
  out.SetHeader("WWW-Authenticate", "Bearer");
  out.RespondError(http::status::unauthorized,
                   request[http::field::authorization].empty() && request["x-api-key"].empty()
                       ? "missing API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'"
                       : "invalid API key",
                   "invalid_api_key");
  return false;
}

}  // namespace shimmy::server
