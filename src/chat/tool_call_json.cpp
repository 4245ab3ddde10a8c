#include "chat/tool_call_json.h"

#include <algorithm>
#include <vector>

#include "chat/stream_text.h"

namespace shimmy::chat::detail {
namespace {

// Records where a SAX parse failed. nlohmann reports the error one past the
// input when the input ended too early (a truncated string, number, literal or
// container) and inside it for a real syntax error: that tells "incomplete"
// from "invalid" without a grammar of our own.
struct ErrorSax : nlohmann::json_sax<Json> {
  size_t error_position = 0;
  bool failed = false;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    error_position = position;
    failed = true;
    return false;
  }
};

bool IsPrefixOfValidJson(std::string_view text) {
  ErrorSax sax;
  Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                  /*strict=*/true);
  return !sax.failed || sax.error_position > text.size();
}

}  // namespace

JsonScan ScanJsonValue(std::string_view text, size_t pos, ScanCache* cache) {
  if (pos >= text.size()) return JsonScan{Scan::kIncomplete, 0, {}};
  if (text[pos] != '{' && text[pos] != '[') return JsonScan{};
  ScanCache::State local;
  ScanCache::State& st = cache != nullptr ? cache->at[pos] : local;
  if (st.result.status != Scan::kIncomplete) return st.result;  // final: prefix-monotone
  // Bracket matching that skips strings finds the value's end cheaply (and
  // resumes where the last call stopped); the real parser then validates
  // exactly that span.
  size_t i = std::max(st.next, pos);
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (st.escape) {
      st.escape = false;
    } else if (st.in_string) {
      if (c == '\\') {
        st.escape = true;
      } else if (c == '"') {
        st.in_string = false;
      }
    } else if (c == '"') {
      st.in_string = true;
    } else if (c == '{' || c == '[') {
      st.stack.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (st.stack.empty() || st.stack.back() != c) {
        st.result.status = Scan::kInvalid;
        return st.result;
      }
      st.stack.pop_back();
      if (st.stack.empty()) {
        const std::string_view span = text.substr(pos, i + 1 - pos);
        st.result.value = Json::parse(span.begin(), span.end(), nullptr,
                                      /*allow_exceptions=*/false);
        st.result.status = st.result.value.is_discarded() ? Scan::kInvalid : Scan::kComplete;
        st.result.end = i + 1;
        return st.result;
      }
    }
  }
  st.next = i;
  // Unclosed: reject early only while the value is short (prose after a
  // marker shows itself at once). Checking a long prefix on every Feed would
  // cost O(n) parser work per token; a later error still surfaces when the
  // value closes or the output ends, with the same final result.
  constexpr size_t kPrefixCheckBytes = 256;
  const std::string_view open = text.substr(pos);
  if (open.size() <= kPrefixCheckBytes && !IsPrefixOfValidJson(open)) {
    st.result.status = Scan::kInvalid;
  }
  return st.result;
}

std::string DumpCompact(const Json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

std::optional<std::string> NormalizeArguments(const Json* arguments) {
  if (arguments == nullptr || arguments->is_null()) return std::string("{}");
  if (arguments->is_object()) return DumpCompact(*arguments);
  if (arguments->is_string()) {
    const std::string& text = arguments->get_ref<const std::string&>();
    if (Trim(text).empty()) return std::string("{}");
    Json inner = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (inner.is_object()) return DumpCompact(inner);
  }
  return std::nullopt;
}

std::optional<ToolCall> CallFromJson(const Json& object) {
  if (!object.is_object()) return std::nullopt;
  const Json* body = &object;
  if (auto fn = object.find("function"); fn != object.end() && fn->is_object()) body = &*fn;
  auto name = body->find("name");
  if (name == body->end() || !name->is_string() || !IsFunctionName(name->get<std::string>())) {
    return std::nullopt;
  }
  const Json* args = nullptr;
  for (const char* key : {"arguments", "parameters"}) {
    if (auto it = body->find(key); it != body->end()) {
      args = &*it;
      break;
    }
  }
  // A bare {"name": ...} is a call with no arguments only when wrapped in a
  // "function" object; unwrapped it is too easily ordinary data.
  if (args == nullptr && body == &object) return std::nullopt;
  std::optional<std::string> normalized = NormalizeArguments(args);
  if (!normalized) return std::nullopt;
  ToolCall call;
  call.name = name->get<std::string>();
  call.arguments = std::move(*normalized);
  if (auto id = object.find("id"); id != object.end() && id->is_string()) {
    call.id = id->get<std::string>();
  }
  return call;
}

bool IsFunctionName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Match MatchAt(std::string_view text, size_t pos, std::string_view lit) {
  const std::string_view rest = pos <= text.size() ? text.substr(pos) : std::string_view();
  if (rest.size() >= lit.size()) return rest.starts_with(lit) ? Match::kYes : Match::kNo;
  return lit.starts_with(rest) ? Match::kPartial : Match::kNo;
}

}  // namespace shimmy::chat::detail
