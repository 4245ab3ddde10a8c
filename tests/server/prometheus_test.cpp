// The Prometheus text format writer (exposition format 0.0.4), the server's
// own metrics, and GET /metrics over a real socket. Where `promtool` is
// installed (Debian package prometheus) the output is also checked by it.
#include "server/prometheus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "common/run_command.h"
#include "server/metrics_route.h"
#include "server/test_client.h"

namespace shimmy::testing {
namespace {

using server::HistogramData;
using server::MetricType;
using server::PrometheusWriter;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t Count(const std::vector<std::string>& lines, const std::string& line) {
  return std::count(lines.begin(), lines.end(), line);
}

// `promtool check metrics` on `text`: "" when it passes, its complaint
// otherwise; nullopt when promtool is not installed.
std::optional<std::string> Promtool(const std::string& text) {
  if (RunCommand("command -v promtool >/dev/null 2>&1").exit_code != 0) return std::nullopt;
  const CommandOutput r = RunCommand("promtool check metrics 2>&1", text);
  if (r.exit_code == 0) return std::string();
  return "exit " + std::to_string(r.exit_code) + ": " + r.out;
}

#define SKIP_WITHOUT_PROMTOOL(result)                                     \
  if (!(result))                                                          \
  GTEST_SKIP() << "promtool not installed (apt-get install prometheus); " \
                  "the format was checked line by line only"

TEST(PrometheusWriter, CounterAndGaugeWithHelpTypeAndLabels) {
  PrometheusWriter w;
  w.Counter("shimmy_things_total", "Things done.", 3, {{"kind", "a"}, {"code", "2xx"}});
  w.Gauge("shimmy_level", "A level.", 0.5);
  const auto lines = Lines(w.Render());
  const std::vector<std::string> want = {
      "# HELP shimmy_things_total Things done.",
      "# TYPE shimmy_things_total counter",
      "shimmy_things_total{kind=\"a\",code=\"2xx\"} 3",
      "# HELP shimmy_level A level.",
      "# TYPE shimmy_level gauge",
      "shimmy_level 0.5",
  };
  EXPECT_EQ(lines, want);
}

TEST(PrometheusWriter, EscapesLabelValuesAndHelp) {
  PrometheusWriter w;
  w.Counter("x_total", "Two\nlines with a \\ and \"quotes\".", 1, {{"path", "a\"b\\c\nd"}});
  const auto lines = Lines(w.Render());
  ASSERT_EQ(lines.size(), 3u);
  // HELP escapes backslash and newline only; label values also escape quotes.
  EXPECT_EQ(lines[0], "# HELP x_total Two\\nlines with a \\\\ and \"quotes\".");
  EXPECT_EQ(lines[2], "x_total{path=\"a\\\"b\\\\c\\nd\"} 1");
}

TEST(PrometheusWriter, GroupsSamplesOfOneFamilyUnderOneHeader) {
  PrometheusWriter w;
  w.Counter("a_total", "A.", 1, {{"k", "1"}});
  w.Gauge("b", "B.", 2);
  w.Counter("a_total", "A again (ignored).", 3, {{"k", "2"}});
  const auto lines = Lines(w.Render());
  EXPECT_EQ(Count(lines, "# TYPE a_total counter"), 1u);
  EXPECT_EQ(Count(lines, "# HELP a_total A."), 1u);
  // Both samples of a_total come right after its header, before b's.
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[2], "a_total{k=\"1\"} 1");
  EXPECT_EQ(lines[3], "a_total{k=\"2\"} 3");
  EXPECT_EQ(lines[5], "# TYPE b gauge");
}

TEST(PrometheusWriter, SameNameWithAnotherTypeIsDropped) {
  PrometheusWriter w;
  w.Gauge("m", "M.", 1);
  w.Counter("m", "M.", 2);
  const auto lines = Lines(w.Render());
  EXPECT_EQ(Count(lines, "m 1"), 1u);
  EXPECT_EQ(Count(lines, "m 2"), 0u);
  EXPECT_EQ(Count(lines, "# TYPE m counter"), 0u);
}

TEST(PrometheusWriter, HistogramBucketsAreCumulativeAndInclusive) {
  HistogramData h({1, 0.1, 10});  // sorted on construction
  for (double v : {0.05, 0.1, 0.5, 100.0}) h.Observe(v);
  EXPECT_EQ(h.count(), 4u);
  PrometheusWriter w;
  w.Histogram("d_seconds", "D.", h, {{"route", "/x"}});
  const auto lines = Lines(w.Render());
  const std::vector<std::string> want = {
      "# HELP d_seconds D.",
      "# TYPE d_seconds histogram",
      "d_seconds_bucket{route=\"/x\",le=\"0.1\"} 2",  // 0.05 and 0.1 (le is <=)
      "d_seconds_bucket{route=\"/x\",le=\"1\"} 3",
      "d_seconds_bucket{route=\"/x\",le=\"10\"} 3",
      "d_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4",
      "d_seconds_sum{route=\"/x\"} 100.65",
      "d_seconds_count{route=\"/x\"} 4",
  };
  EXPECT_EQ(lines, want);
}

TEST(PrometheusWriter, DeclaredFamilyWithoutSamplesHasHeader) {
  PrometheusWriter w;
  w.Declare("none_total", MetricType::kCounter, "Nothing yet.");
  EXPECT_EQ(Lines(w.Render()), std::vector<std::string>({"# HELP none_total Nothing yet.",
                                                         "# TYPE none_total counter"}));
}

TEST(PrometheusWriter, ValuesAndNames) {
  EXPECT_EQ(server::FormatMetricValue(42), "42");
  EXPECT_EQ(server::FormatMetricValue(-0.25), "-0.25");
  EXPECT_EQ(server::FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(server::FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(server::FormatMetricValue(std::nan("")), "NaN");
  for (double v : {1e-9, 0.1, 1.0 / 3, 123456789.125, 1e300})
    EXPECT_EQ(std::stod(server::FormatMetricValue(v)), v) << v;  // round-trips exactly

  EXPECT_EQ(server::SanitizeMetricName("shimmy-bad name"), "shimmy_bad_name");
  EXPECT_EQ(server::SanitizeMetricName("9lives"), "_lives");
  EXPECT_EQ(server::SanitizeMetricName("ns:ok_1"), "ns:ok_1");
  // Label names may not hold ':'.
  EXPECT_EQ(server::FormatLabels({{"a:b", "v"}, {"c-d", "w"}}), "{a_b=\"v\",c_d=\"w\"}");
}

TEST(PrometheusWriter, PromtoolAcceptsEveryKindOfFamily) {
  PrometheusWriter w;
  w.Counter("shimmy_test_events_total", "Events with \"odd\" \\ text\nover lines.", 7,
            {{"path", "/v1/x?\"q\"\\\n"}, {"code", "2xx"}});
  w.Counter("shimmy_test_events_total", "", 1, {{"path", "/other"}, {"code", "5xx"}});
  w.Gauge("shimmy_test_level", "A gauge.", -1.5);
  w.Gauge("shimmy_test_unbounded", "Infinite.", std::numeric_limits<double>::infinity());
  HistogramData h(server::ServerMetrics::DurationBounds());
  for (double v : {0.001, 0.3, 42.0, 1e4}) h.Observe(v);
  w.Histogram("shimmy_test_duration_seconds", "Durations.", h, {{"route", "/a"}});
  w.Histogram("shimmy_test_duration_seconds", "", HistogramData({1, 2}), {{"route", "/b"}});
  w.Declare("shimmy_test_empty_total", MetricType::kCounter, "No samples yet.");
  const auto verdict = Promtool(w.Render());
  SKIP_WITHOUT_PROMTOOL(verdict);
  EXPECT_EQ(*verdict, "") << w.Render();
}

TEST(ServerMetrics, CountsByRouteAndStatusClass) {
  server::ServerMetrics m;
  for (int status : {200, 204, 404, 499, 503}) {
    m.RequestStarted();
    m.RequestFinished("/r", status, std::chrono::milliseconds(20), status == 499);
  }
  m.RequestStarted();  // still in flight
  PrometheusWriter w;
  m.Collect(w);
  const auto lines = Lines(w.Render());
  EXPECT_EQ(Count(lines, "shimmy_http_requests_total{route=\"/r\",code=\"2xx\"} 2"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_requests_total{route=\"/r\",code=\"4xx\"} 2"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_requests_total{route=\"/r\",code=\"5xx\"} 1"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_requests_cancelled_total{route=\"/r\"} 1"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_requests_in_flight 1"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_request_duration_seconds_count{route=\"/r\"} 5"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.01\"} 0"),
            1u);
  EXPECT_EQ(
      Count(lines, "shimmy_http_request_duration_seconds_bucket{route=\"/r\",le=\"0.025\"} 5"), 1u);
}

TEST(MetricsRoute, ServesTheServersOwnCountsAndTheCollectors) {
  auto metrics = std::make_shared<server::ServerMetrics>();
  auto router = std::make_shared<server::Router>();
  server::AddHealthRoute(*router);
  server::AddMetricsRoute(*router, [metrics](PrometheusWriter& w) {
    metrics->Collect(w);
    w.Gauge("shimmy_models_loaded", "Models resident (from the collector).", 2);
  });
  server::ServerOptions options;
  options.metrics = metrics;
  options.access_log = [](const server::AccessRecord&) {};
  auto s = server::HttpServer::Start(options, router);
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto& server = *s;

  // One connection: each request is counted before the next is read.
  TestClient c(server->endpoint().port());
  ASSERT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
  ASSERT_EQ(c.Request(http::verb::get, "/health?probe=1").result(), http::status::ok);
  ASSERT_EQ(c.Request(http::verb::get, "/no/such/route").result(), http::status::not_found);
  const auto r = c.Request(http::verb::get, "/metrics");
  ASSERT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r[http::field::content_type], server::kPrometheusContentType);

  const auto lines = Lines(r.body());
  EXPECT_EQ(Count(lines, "shimmy_http_requests_total{route=\"/health\",code=\"2xx\"} 2"), 1u)
      << r.body();
  EXPECT_EQ(Count(lines, "shimmy_http_requests_total{route=\"other\",code=\"4xx\"} 1"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_http_requests_in_flight 1"), 1u);  // the scrape itself
  EXPECT_EQ(Count(lines, "shimmy_http_request_duration_seconds_count{route=\"/health\"} 2"), 1u);
  EXPECT_EQ(Count(lines, "shimmy_models_loaded 2"), 1u);

  // HttpServer exposes the same families directly. One more request on the
  // connection first, so the scrape's own exchange is complete and counted.
  ASSERT_EQ(c.Request(http::verb::get, "/health").result(), http::status::ok);
  PrometheusWriter direct;
  server->CollectServerMetrics(direct);
  EXPECT_NE(direct.Render().find("shimmy_http_requests_total{route=\"/metrics\",code=\"2xx\"} 1"),
            std::string::npos);

  const auto verdict = Promtool(r.body());
  SKIP_WITHOUT_PROMTOOL(verdict);
  EXPECT_EQ(*verdict, "") << r.body();
}

}  // namespace
}  // namespace shimmy::testing
