// GET /metrics (Prometheus text format 0.0.4) and the HTTP server's own
// metrics. Never shells out; a scrape costs one pass over a few maps.
//
//   auto metrics = std::make_shared<ServerMetrics>();
//   options.metrics = metrics;                         // HttpServer records into it
//   AddMetricsRoute(*router, [metrics, &pool](PrometheusWriter& w) {
//     metrics->Collect(w);
//     pool.CollectMetrics(w);                          // engine / pool families
//   });
//
// ServerMetrics (all per server):
//   shimmy_http_requests_total{route,code}          counter  answered requests; code = "2xx".."5xx"
//   shimmy_http_requests_cancelled_total{route}     counter  cut short (client gone, ...)
//   shimmy_http_requests_in_flight                  gauge    parsed, not yet complete
//   shimmy_http_request_duration_seconds{route}     histogram  parsed → complete (whole
//                                                   streams included, so buckets reach 10 min)
// `route` is the route's pattern (Router::RouteLabel), so the label set is
// bounded by the routing table, never by what clients send.
//
// Thread-safety: ServerMetrics is safe to use from every thread; `collect`
// runs on an I/O thread for each scrape and must not block for long.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/prometheus.h"
#include "server/router.h"

namespace shimmy::server {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

class ServerMetrics {
 public:
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // Pairs with RequestStarted(). `status` as logged (499 when nothing was sent).
  void RequestFinished(std::string_view route, int status, std::chrono::microseconds duration,
                       bool cancelled);

  void Collect(PrometheusWriter& writer) const;

  // Duration histogram bounds in seconds: short calls through long streams.
  static const std::vector<double>& DurationBounds();

 private:
  std::atomic<int64_t> in_flight_{0};
  mutable std::mutex mu_;                                             // guards the maps
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;  // (route, "2xx") → n
  std::map<std::string, uint64_t> cancelled_;                         // route → n
  std::map<std::string, HistogramData> durations_;                    // route → seconds
};

// GET /metrics: runs `collect` on a fresh writer and answers its text.
void AddMetricsRoute(Router& router, std::function<void(PrometheusWriter&)> collect);

}  // namespace shimmy::server
