// Running a command line (usually the shimmy binary) from a test, as a
// user's shell would, and collecting what it printed.
//
//   CommandOutput r = RunCommand(ShellQuote(SHIMMY_BINARY) + " list 2>&1");
//   EXPECT_EQ(r.exit_code, 0);
//
// The line goes to /bin/sh, so redirections and `env -i` work. `input`, when
// given, is the command's stdin (written to a temporary file first so a
// large input cannot deadlock against the output pipe); otherwise the
// command reads /dev/null, never the test runner's stdin.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace shimmy::testing {

struct CommandOutput {
  int exit_code = -1;  // -1: killed by a signal or not run
  std::string out;     // stdout (plus stderr where the line redirects it)
};

// 'text' quoted for /bin/sh.
inline std::string ShellQuote(const std::string& text) {
  std::string q = "'";
  for (char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline CommandOutput RunCommand(const std::string& command_line, const std::string& input = "") {
  static std::atomic<int> n_runs{0};
  const std::filesystem::path in_file =
      std::filesystem::temp_directory_path() /
      ("shimmy-test-stdin-" + std::to_string(::getpid()) + "-" + std::to_string(n_runs++));
  { std::ofstream(in_file, std::ios::binary) << input; }
  const std::string cmd = "( " + command_line + " ) < " + ShellQuote(in_file.string());
  CommandOutput r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p != nullptr) {
    std::array<char, 65536> buf{};
    for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::filesystem::remove(in_file);
  return r;
}

}  // namespace shimmy::testing
