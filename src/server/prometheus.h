// PrometheusWriter: renders metric families in the Prometheus text
// exposition format 0.0.4 (what GET /metrics answers):
//
//   # HELP shimmy_http_requests_total Requests answered.
//   # TYPE shimmy_http_requests_total counter
//   shimmy_http_requests_total{route="/health",code="2xx"} 3
//
//   PrometheusWriter w;
//   w.Counter("shimmy_http_requests_total", "Requests answered.", 3, {{"route", "/health"}});
//   w.Gauge("shimmy_models_loaded", "Models resident in memory.", 1);
//   HistogramData h({0.1, 1, 10});  h.Observe(0.4);
//   w.Histogram("shimmy_http_request_duration_seconds", "Time to answer.", h);
//   std::string text = w.Render();
//
// Samples of one family may be added in any order and from several
// collectors; Render() groups them under one HELP/TYPE, families in the
// order first seen, samples in the order added. Label values are escaped;
// names that are not valid Prometheus names get their bad characters
// replaced by '_' (so a collector cannot break the whole page). A name used
// again with another type is a programmer error: that sample is dropped.
//
// Not thread-safe: one writer per scrape. HistogramData is a plain value;
// whoever shares one across threads guards it (see metrics_route.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shimmy::server {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// Bucketed observations. `counts[i]` counts values <= bounds[i] (and above
// bounds[i-1]); counts.back() those above every bound (the +Inf bucket).
// Rendering makes the buckets cumulative, as the format wants.
struct HistogramData {
  HistogramData() = default;
  // `bounds` ascending; the +Inf bucket is implied.
  explicit HistogramData(std::vector<double> bounds);

  void Observe(double value);
  uint64_t count() const;

  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
};

class PrometheusWriter {
 public:
  // Declares a family (HELP and TYPE are rendered even with no sample yet,
  // so dashboards and alerts see it before the first event).
  void Declare(std::string_view name, MetricType type, std::string_view help);
  void Counter(std::string_view name, std::string_view help, double value,
               const MetricLabels& labels = {});
  void Gauge(std::string_view name, std::string_view help, double value,
             const MetricLabels& labels = {});
  // Emits name_bucket{...,le="..."} for every bound and +Inf, name_sum, name_count.
  void Histogram(std::string_view name, std::string_view help, const HistogramData& histogram,
                 const MetricLabels& labels = {});

  std::string Render() const;

 private:
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<std::string> samples;  // rendered lines, without the newline
  };
  Family* FamilyFor(std::string_view name, MetricType type, std::string_view help);

  std::vector<Family> families_;
};

// Helpers, public for tests and for other writers of the format.
std::string SanitizeMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
std::string EscapeLabelValue(std::string_view value);   // \\ \" \n
std::string FormatMetricValue(double value);            // shortest; +Inf, -Inf, NaN
std::string FormatLabels(const MetricLabels& labels);   // {a="x",b="y"} or ""

}  // namespace shimmy::server
