// Reading typed, range-checked fields out of an OpenAI request body, with
// the first failure remembered (message + the field it names), so parsers
// read top to bottom without an early return after every field.
//
//   FieldReader r(body, param_error);
//   auto t = r.Number("temperature", 0, 2);   // nullopt when absent, null or bad
//   auto n = r.Integer("n", 1, 16);
//   if (r.failed()) return r.error();
//
// Internal to the api_openai_parse*.cpp files; one reader per request, one
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "server/api_openai.h"

namespace shimmy::server {

class FieldReader {
 public:
  FieldReader(const OJson& body, ParamError* param_error)
      : body_(body), param_error_(param_error) {}

  // The field's value, or nullptr when absent (and after a failure).
  const OJson* Get(std::string_view key) const;
  bool Has(std::string_view key) const;  // present and not null

  std::optional<double> Number(std::string_view key, double lo, double hi);
  std::optional<int64_t> Integer(std::string_view key, int64_t lo, int64_t hi);
  std::optional<bool> Bool(std::string_view key);
  std::optional<std::string> String(std::string_view key);
  // A non-empty string that must be there.
  std::optional<std::string> RequiredString(std::string_view key);

  // Records the first failure; returns false so callers can `return r.Fail(..)`.
  bool Fail(std::string param, std::string message, std::string code = "invalid_value");
  bool failed() const { return failed_; }
  Error error() const { return Error(message_); }

 private:
  const OJson& body_;
  ParamError* param_error_;
  bool failed_ = false;
  std::string message_;
};

// The fields /v1/chat/completions and /v1/completions share: model, stream,
// stream_options, max_tokens, sampling, stop, n, logit_bias, keep_alive.
void ParseCommon(FieldReader& r, OpenAiRequest& out);

}  // namespace shimmy::server
