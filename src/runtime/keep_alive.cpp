// Parsing of keep_alive values (keep_alive.h). Go's time.ParseDuration
// grammar, written from its documentation: an optional sign, then one or
// more "<decimal><unit>" parts, units ns, us (or µs), ms, s, m, h; "0"
// alone needs no unit.
#include "runtime/keep_alive.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace shimmy::runtime {
namespace {

using std::chrono::milliseconds;

// Longer than any sensible keep_alive and far from overflowing a steady
// clock deadline: beyond it a value counts as forever.
constexpr double kMaxSeconds = 100.0 * 365 * 24 * 3600;

// Seconds (finite, any sign) -> milliseconds with Ollama's meaning: negative
// is forever; a positive value never rounds down to 0 ("unload now").
milliseconds FromSeconds(double seconds) {
  if (seconds < 0) return kKeepAliveForever;
  if (seconds > kMaxSeconds) return kKeepAliveForever;
  const auto ms = static_cast<int64_t>(std::llround(seconds * 1000.0));
  return milliseconds(seconds > 0 && ms == 0 ? 1 : ms);
}

Error Bad(std::string_view text, std::string_view why) {
  return Error("invalid keep_alive '" + std::string(text) + "': " + std::string(why));
}

// A whole-string decimal number (sign, digits, fraction, exponent), or
// nothing.
std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string_view digits = text;
  if (digits.front() == '+') digits.remove_prefix(1);  // from_chars refuses '+'
  double value = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Unit -> seconds; 0 when unknown.
double UnitSeconds(std::string_view unit) {
  if (unit == "ns") return 1e-9;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1e-6;  // µs, μs
  if (unit == "ms") return 1e-3;
  if (unit == "s") return 1;
  if (unit == "m") return 60;
  if (unit == "h") return 3600;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Result<milliseconds> ParseGoDuration(std::string_view text) {
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return milliseconds(0);
  if (rest.empty()) return Bad(text, "expected a duration such as \"5m\" or a number of seconds");

  double seconds = 0;
  while (!rest.empty()) {
    // The number: digits, optionally '.', digits; at least one digit.
    size_t i = 0;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    size_t n_digits = i;
    if (i < rest.size() && rest[i] == '.') {
      const size_t frac_start = ++i;
      while (i < rest.size() && IsDigit(rest[i])) ++i;
      n_digits += i - frac_start;
    }
    if (n_digits == 0) return Bad(text, "expected a number before each unit");
    const std::string number(rest.substr(0, i));
    rest.remove_prefix(i);

    size_t u = 0;
    while (u < rest.size() && !IsDigit(rest[u]) && rest[u] != '.') ++u;
    if (u == 0) return Bad(text, "missing unit (ns, us, ms, s, m or h)");
    const double unit = UnitSeconds(rest.substr(0, u));
    if (unit == 0) {
      return Bad(text, "unknown unit '" + std::string(rest.substr(0, u)) +
                           "' (use ns, us, ms, s, m or h)");
    }
    rest.remove_prefix(u);
    // strtod accepts every number the loop above lets through.
    seconds += std::strtod(number.c_str(), nullptr) * unit;
  }
  if (!std::isfinite(seconds)) return kKeepAliveForever;
  return FromSeconds(negative ? -seconds : seconds);
}

}  // namespace

Result<milliseconds> ParseKeepAliveText(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (auto seconds = ParseNumber(text)) return FromSeconds(*seconds);
  return ParseGoDuration(text);
}

Result<milliseconds> ParseKeepAlive(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    return FromSeconds(static_cast<double>(value.get<uint64_t>()));
  }
  if (value.is_number_integer()) return FromSeconds(static_cast<double>(value.get<int64_t>()));
  if (value.is_number_float()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds)) return Bad(value.dump(), "not a finite number");
    return FromSeconds(seconds);
  }
  if (value.is_string()) return ParseKeepAliveText(value.get_ref<const std::string&>());
  return Bad(value.dump(), std::string("expected a duration string or a number of seconds, got ") +
                               value.type_name());
}

}  // namespace shimmy::runtime
