// Python's json.dumps, as Hugging Face's tojson filter calls it.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "base/utf8.h"
#include "jinja/builtins.h"
#include "jinja/py_text.h"
#include "jinja/try.h"

namespace shimmy::jinja {
namespace {

void AppendJsonString(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  char buf[16];
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const char32_t c = utf8::DecodeOne(s, pos);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
      if (c >= 0x10000) {
        const char32_t v = c - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 | (v >> 10)),
                      static_cast<unsigned>(0xDC00 | (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      }
      out += buf;
    } else {
      out.append(s.substr(start, pos - start));
    }
  }
  out += '"';
}

std::string FloatJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return py::FloatRepr(d);
}

class Dumper {
 public:
  explicit Dumper(const JsonDumpOptions& options) : options_(options) {
    if (options.indent.is_string()) {
      indent_ = options.indent.str();
      pretty_ = true;
    } else if (options.indent.is_integral()) {
      indent_.assign(static_cast<size_t>(std::max<int64_t>(0, options.indent.int_value())), ' ');
      pretty_ = true;
    }
  }

  Status Dump(const Value& v, int level) {
    if (level > static_cast<int>(kMaxNesting)) return Error("value nested too deeply for tojson");
    switch (v.kind()) {
      case ValueKind::kNone:
        out_ += "null";
        return {};
      case ValueKind::kBool:
        out_ += v.bool_value() ? "true" : "false";
        return {};
      case ValueKind::kInt:
        out_ += std::to_string(v.int_value());
        return {};
      case ValueKind::kFloat:
        out_ += FloatJson(v.float_value());
        return {};
      case ValueKind::kString:
        AppendJsonString(out_, v.str(), options_.ensure_ascii);
        return {};
      case ValueKind::kList:
        if (v.seq_kind() == SeqKind::kList || v.seq_kind() == SeqKind::kTuple)
          return DumpList(v.list(), level);
        break;
      case ValueKind::kDict:
        return DumpDict(v.dict(), level);
      default:
        break;
    }
    return Error("Object of type " + TypeName(v) + " is not JSON serializable");
  }

  std::string Take() { return std::move(out_); }

 private:
  void NewLine(int level) {
    if (!pretty_) return;
    out_ += '\n';
    for (int i = 0; i < level; ++i) out_ += indent_;
  }

  Status DumpList(const List& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return {};
    }
    out_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += options_.item_separator;
      NewLine(level + 1);
      SHIMMY_JINJA_CHECK(Dump(items[i], level + 1));
    }
    NewLine(level);
    out_ += ']';
    return {};
  }

  static Result<std::string> KeyString(const Value& key) {
    switch (key.kind()) {
      case ValueKind::kString:
        return key.str();
      case ValueKind::kInt:
        return std::to_string(key.int_value());
      case ValueKind::kFloat:
        return FloatJson(key.float_value());
      case ValueKind::kBool:
        return std::string(key.bool_value() ? "true" : "false");
      case ValueKind::kNone:
        return std::string("null");
      default:
        return Error("keys must be str, int, float, bool or None, not " + TypeName(key));
    }
  }

  Status DumpDict(const Dict& dict, int level) {
    if (dict.empty()) {
      out_ += "{}";
      return {};
    }
    std::vector<std::pair<std::string, const Value*>> entries;
    for (const auto& [key, value] : dict.entries()) {
      std::string k;
      SHIMMY_JINJA_ASSIGN(k, KeyString(key));
      entries.emplace_back(std::move(k), &value);
    }
    if (options_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    out_ += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += options_.item_separator;
      NewLine(level + 1);
      AppendJsonString(out_, entries[i].first, options_.ensure_ascii);
      out_ += options_.key_separator;
      SHIMMY_JINJA_CHECK(Dump(*entries[i].second, level + 1));
    }
    NewLine(level);
    out_ += '}';
    return {};
  }

  const JsonDumpOptions& options_;
  std::string indent_;
  bool pretty_ = false;
  std::string out_;
};

}  // namespace

Result<std::string> JsonDump(const Value& v, const JsonDumpOptions& options) {
  Dumper dumper(options);
  SHIMMY_JINJA_CHECK(dumper.Dump(v, 0));
  return dumper.Take();
}

}  // namespace shimmy::jinja
