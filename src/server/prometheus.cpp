#include "server/prometheus.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace shimmy::server {
namespace {

bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) {
  return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9');
}

std::string Sanitize(std::string_view name, bool colon_ok) {
  std::string out(name);
  if (out.empty()) return "_";
  for (size_t i = 0; i < out.size(); ++i) {
    const bool ok = i == 0 ? IsNameStart(out[i], colon_ok) : IsNameChar(out[i], colon_ok);
    if (!ok) out[i] = '_';
  }
  return out;
}

// HELP text escapes only backslash and newline (quotes stay as they are).
std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

HistogramData::HistogramData(std::vector<double> b)
    : bounds(std::move(b)), counts(bounds.size() + 1, 0) {
  std::sort(bounds.begin(), bounds.end());
}

void HistogramData::Observe(double value) {
  if (counts.size() != bounds.size() + 1) counts.assign(bounds.size() + 1, 0);
  // First bound >= value: buckets are "less than or equal".
  const size_t i = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++counts[i];
  sum += value;
}

uint64_t HistogramData::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

std::string SanitizeMetricName(std::string_view name) { return Sanitize(name, true); }

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);  // shortest round-trip form
  return std::string(buf, r.ptr);
}

std::string FormatLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += Sanitize(labels[i].first, false);
    out += "=\"";
    out += EscapeLabelValue(labels[i].second);
    out += '"';
  }
  out += '}';
  return out;
}

PrometheusWriter::Family* PrometheusWriter::FamilyFor(std::string_view name, MetricType type,
                                                      std::string_view help) {
  const std::string clean = SanitizeMetricName(name);
  for (Family& f : families_) {
    if (f.name == clean) return f.type == type ? &f : nullptr;
  }
  families_.push_back({clean, type, EscapeHelp(help), {}});
  return &families_.back();
}

void PrometheusWriter::Declare(std::string_view name, MetricType type, std::string_view help) {
  FamilyFor(name, type, help);
}

void PrometheusWriter::Counter(std::string_view name, std::string_view help, double value,
                               const MetricLabels& labels) {
  if (Family* f = FamilyFor(name, MetricType::kCounter, help))
    f->samples.push_back(f->name + FormatLabels(labels) + " " + FormatMetricValue(value));
}

void PrometheusWriter::Gauge(std::string_view name, std::string_view help, double value,
                             const MetricLabels& labels) {
  if (Family* f = FamilyFor(name, MetricType::kGauge, help))
    f->samples.push_back(f->name + FormatLabels(labels) + " " + FormatMetricValue(value));
}

void PrometheusWriter::Histogram(std::string_view name, std::string_view help,
                                 const HistogramData& h, const MetricLabels& labels) {
  Family* f = FamilyFor(name, MetricType::kHistogram, help);
  if (f == nullptr) return;
  MetricLabels with_le = labels;
  with_le.emplace_back("le", "");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += i < h.counts.size() ? h.counts[i] : 0;
    with_le.back().second =
        i < h.bounds.size() ? FormatMetricValue(h.bounds[i]) : std::string("+Inf");
    f->samples.push_back(f->name + "_bucket" + FormatLabels(with_le) + " " +
                         std::to_string(cumulative));
  }
  const std::string l = FormatLabels(labels);
  f->samples.push_back(f->name + "_sum" + l + " " + FormatMetricValue(h.sum));
  f->samples.push_back(f->name + "_count" + l + " " + std::to_string(cumulative));
}

std::string PrometheusWriter::Render() const {
  std::string out;
  for (const Family& f : families_) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + " " + std::string(TypeName(f.type)) + "\n";
    for (const std::string& s : f.samples) out += s + "\n";
  }
  return out;
}

}  // namespace shimmy::server
