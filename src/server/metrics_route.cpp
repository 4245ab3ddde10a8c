#include "server/metrics_route.h"

namespace shimmy::server {
namespace {

std::string StatusClass(int status) {
  if (status < 100 || status > 599) return "other";
  return std::to_string(status / 100) + "xx";
}

}  // namespace

const std::vector<double>& ServerMetrics::DurationBounds() {
  static const std::vector<double> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                              2.5,   5,    10,    30,   60,  120,  300, 600};
  return kBounds;
}

void ServerMetrics::RequestFinished(std::string_view route, int status,
                                    std::chrono::microseconds duration, bool cancelled) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  const std::string key(route);
  std::lock_guard lk(mu_);
  ++requests_[{key, StatusClass(status)}];
  if (cancelled) ++cancelled_[key];
  auto [it, fresh] = durations_.try_emplace(key);
  if (fresh) it->second = HistogramData(DurationBounds());
  it->second.Observe(static_cast<double>(duration.count()) / 1e6);
}

void ServerMetrics::Collect(PrometheusWriter& w) const {
  constexpr std::string_view kRequests = "shimmy_http_requests_total";
  constexpr std::string_view kCancelled = "shimmy_http_requests_cancelled_total";
  constexpr std::string_view kDuration = "shimmy_http_request_duration_seconds";
  constexpr std::string_view kRequestsHelp = "HTTP requests answered, by route and status class.";
  constexpr std::string_view kCancelledHelp =
      "HTTP requests cut short before their answer was complete (client gone, write error).";
  constexpr std::string_view kDurationHelp =
      "Time from a request being read to its answer being complete (whole streams included).";

  w.Gauge("shimmy_http_requests_in_flight", "HTTP requests read and not yet answered completely.",
          static_cast<double>(in_flight_.load(std::memory_order_relaxed)));
  std::lock_guard lk(mu_);
  w.Declare(kRequests, MetricType::kCounter, kRequestsHelp);
  w.Declare(kCancelled, MetricType::kCounter, kCancelledHelp);
  w.Declare(kDuration, MetricType::kHistogram, kDurationHelp);
  for (const auto& [key, n] : requests_)
    w.Counter(kRequests, kRequestsHelp, static_cast<double>(n),
              {{"route", key.first}, {"code", key.second}});
  for (const auto& [route, n] : cancelled_)
    w.Counter(kCancelled, kCancelledHelp, static_cast<double>(n), {{"route", route}});
  for (const auto& [route, h] : durations_)
    w.Histogram(kDuration, kDurationHelp, h, {{"route", route}});
}

void AddMetricsRoute(Router& router, std::function<void(PrometheusWriter&)> collect) {
  router.Add(http::verb::get, "/metrics",
             [collect = std::move(collect)](const Request&, std::shared_ptr<ResponseStream> out) {
               PrometheusWriter writer;
               if (collect) collect(writer);
               out->Respond(http::status::ok, kPrometheusContentType, writer.Render());
             });
}

}  // namespace shimmy::server
