#include "server/access_log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string_view>

namespace shimmy::server {
namespace {

void AppendEscaped(std::string& out, std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
}

std::shared_ptr<spdlog::logger> AccessLogger() {
  // spdlog's registry is thread-safe; two threads racing here may both try
  // to create it, and the loser gets the winner's logger.
  if (auto logger = spdlog::get("access")) return logger;
  try {
    return spdlog::stderr_color_mt("access");
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get("access");
  }
}

}  // namespace

std::string FormatAccessLine(const AccessRecord& r) {
  std::string line = r.remote.empty() ? "-" : r.remote;
  line += " \"";
  AppendEscaped(line, r.method);
  line += ' ';
  AppendEscaped(line, r.path);
  line += "\" ";
  line += std::to_string(r.status);
  line += ' ';
  line += std::to_string(r.response_bytes);
  line += "B ";
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1fms", static_cast<double>(r.duration.count()) / 1000.0);
  line += ms;
  if (r.streamed) line += " stream";
  if (r.cancelled) line += " cancelled";
  return line;
}

void LogAccess(const AccessRecord& r) {
  const auto logger = AccessLogger();
  if (!logger) return;
  logger->info(FormatAccessLine(r));
  if (logger->should_log(spdlog::level::debug)) {
    std::string ua;
    AppendEscaped(ua, r.user_agent);
    logger->debug("  route={} request_bytes={} user_agent=\"{}\"", r.route, r.request_bytes, ua);
  }
}

}  // namespace shimmy::server
