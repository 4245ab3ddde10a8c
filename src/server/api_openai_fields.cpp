#include "server/api_openai_fields.h"

#include <cmath>
#include <cstdint>
#include <sstream>

namespace shimmy::server {
namespace {

// Numbers in messages as a user wrote them: 2, 0.5, 1e-05.
std::string Show(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

const OJson* FieldReader::Get(std::string_view key) const {
  if (failed_) return nullptr;
  auto it = body_.find(key);
  return it == body_.end() ? nullptr : &*it;
}

bool FieldReader::Has(std::string_view key) const {
  const OJson* v = Get(key);
  return v != nullptr && !v->is_null();
}

bool FieldReader::Fail(std::string param, std::string message, std::string code) {
  if (failed_) return false;
  failed_ = true;
  message_ = std::move(message);
  if (param_error_ != nullptr) {
    param_error_->param = std::move(param);
    param_error_->code = std::move(code);
  }
  return false;
}

std::optional<double> FieldReader::Number(std::string_view key, double lo, double hi) {
  if (!Has(key)) return std::nullopt;
  const OJson& v = *Get(key);
  const std::string name(key);
  if (!v.is_number()) {
    Fail(name, "'" + name + "' must be a number", "invalid_type");
    return std::nullopt;
  }
  const double d = v.get<double>();
  if (!(d >= lo && d <= hi)) {
    Fail(name,
         "'" + name + "' must be between " + Show(lo) + " and " + Show(hi) + ", got " + Show(d));
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> FieldReader::Integer(std::string_view key, int64_t lo, int64_t hi) {
  if (!Has(key)) return std::nullopt;
  const OJson& v = *Get(key);
  const std::string name(key);
  // 2.0 is an integer to a JavaScript client; 2.5 is not.
  const bool integral = v.is_number_integer() ||
                        (v.is_number_float() && std::nearbyint(v.get<double>()) == v.get<double>());
  if (!integral) {
    Fail(name, "'" + name + "' must be an integer", "invalid_type");
    return std::nullopt;
  }
  const bool too_big =
      v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  const bool too_big_float = v.is_number_float() && std::fabs(v.get<double>()) >= 9.2e18;
  const int64_t i = too_big || too_big_float ? 0
                    : v.is_number_float()    ? static_cast<int64_t>(v.get<double>())
                                             : v.get<int64_t>();
  if (too_big || too_big_float || i < lo || i > hi) {
    Fail(name, "'" + name + "' must be between " + std::to_string(lo) + " and " +
                   std::to_string(hi) + ", got " + v.dump());
    return std::nullopt;
  }
  return i;
}

std::optional<bool> FieldReader::Bool(std::string_view key) {
  if (!Has(key)) return std::nullopt;
  const OJson& v = *Get(key);
  if (!v.is_boolean()) {
    const std::string name(key);
    Fail(name, "'" + name + "' must be true or false", "invalid_type");
    return std::nullopt;
  }
  return v.get<bool>();
}

std::optional<std::string> FieldReader::String(std::string_view key) {
  if (!Has(key)) return std::nullopt;
  const OJson& v = *Get(key);
  if (!v.is_string()) {
    const std::string name(key);
    Fail(name, "'" + name + "' must be a string", "invalid_type");
    return std::nullopt;
  }
  return v.get<std::string>();
}

std::optional<std::string> FieldReader::RequiredString(std::string_view key) {
  if (failed_) return std::nullopt;
  const std::string name(key);
  if (!Has(key)) {
    Fail(name, "missing required parameter: '" + name + "'", "missing_required_parameter");
    return std::nullopt;
  }
  auto s = String(key);
  if (s && s->empty()) {
    Fail(name, "'" + name + "' must not be empty");
    return std::nullopt;
  }
  return s;
}

}  // namespace shimmy::server
